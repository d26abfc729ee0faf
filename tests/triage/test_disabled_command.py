"""A server write that took away the command or SQL mode a client's error names (agent.triage.disabled_command).

Errors are each client's real wording: Lettuce under Spring Session ("ERR unknown command 'CONFIG', with args
beginning with: 'GET' 'notify-keyspace-events'"), redis-py against Redis 7 (backquoted command names), ioredis
refused by an ACL (NOPERM), MySQL Connector/J and PyMySQL under ONLY_FULL_GROUP_BY and strict mode. Changes are the
timeline's own shapes: `data key K set by M` with the ConfigMap read back, `data key K 'old' -> 'new'`, rollout
args lists. Each shape has a negative twin: another command disabled, the directive already there before the
write, the error printed before the write, a mode already on.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.toolhub import ToolOutcome
from agent.triage import disabled_command as dc
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 6, 1, 20, 0, tzinfo=UTC)


def _stamp(minutes: int) -> str:
    return (AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _change(kind: str, ns: str, name: str, lines: list[str], minutes: int = 90, type_: str = "config",
            related: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"at": _stamp(minutes), "type": type_, "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name}: {lines[0]}", "diff": lines, "related": related or []}


def _log(pod: str, ns: str, message: str, first_minutes: int | None = 10) -> LogEvidence:
    entry = {"template": message, "example": message, "severity": "error",
             "first_seen": _stamp(first_minutes) if first_minutes is not None else None}
    return LogEvidence(pod=pod, namespace=ns, evidence_id="E7", top=entry, hosts=[], error_classes=set(),
                       previous=True)


def _config(ns: str, name: str, key: str, text: str) -> tuple[dict[str, Any], str]:
    return {"kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}, "data": {key: text}}, "E9"


def _facts(changes: list[dict[str, Any]], logs: list[LogEvidence],
           objects: list[tuple[dict[str, Any], str]] | None = None) -> Facts:
    return Facts(at=AT, changes={"changes": changes}, changes_id="E2", logs=logs, objects=objects or [])


LETTUCE = ("Caused by: io.lettuce.core.RedisCommandExecutionException: ERR unknown command 'CONFIG', with args "
           "beginning with: 'GET' 'notify-keyspace-events'")
REDIS_PY = "redis.exceptions.ResponseError: unknown command `CLIENT`, with args beginning with: `SETNAME` `worker-3`"
IOREDIS_ACL = "ReplyError: NOPERM User default has no permissions to run the 'config|get' command"
MYSQL_GROUP_BY = ("java.sql.SQLSyntaxErrorException: Expression #2 of SELECT list is not in GROUP BY clause and "
                  "contains nonaggregated column 'shop.o.status' which is not functionally dependent on columns in "
                  "GROUP BY clause; this is incompatible with sql_mode=only_full_group_by")
PYMYSQL_STRICT = "pymysql.err.OperationalError: (1364, \"Field 'referrer' doesn't have a default value\")"

HARDENED = 'bind 0.0.0.0\nport 6379\nrename-command CONFIG ""\nrename-command FLUSHALL ""\n'
USED_BY = [{"kind": "StatefulSet", "namespace": "cache", "name": "session-store"}]


def _hardening_write(minutes: int = 180) -> dict[str, Any]:
    return _change("ConfigMap", "cache", "session-store-conf", ["data key redis.conf set by helm"], minutes,
                   related=USED_BY)


# ---- Redis: a command renamed away ---------------------------------------------------------------------------


def test_rename_command_in_a_config_read_back_names_the_configmap_and_the_start_up_call() -> None:
    restart = _change("StatefulSet", "cache", "session-store", ["redis image redis:7.2.5"], 179, "rollout")
    facts = _facts([restart, _hardening_write()], [_log("policy-api-6d8f9b7c5-k2x9q", "policies", LETTUCE, None)],
                   [_config("cache", "session-store-conf", "redis.conf", HARDENED)])
    [hit] = dc.found(facts)
    assert hit.target.name == "session-store-conf" and hit.what == "CONFIG" and "restarted" in hit.restarted
    head = dc.finding(hit)["message"]
    assert head.index('rename-command CONFIG ""') < 200 and "unknown command 'CONFIG'" in head[:400]
    assert "notify-keyspace-events" in head[:400] and "Spring Session" in head
    assert hit.victim.name == "policy-api"


def test_valkey_args_rename_seen_in_a_rollout_diff_against_redis_py_backquotes() -> None:
    write = _change("StatefulSet", "kv", "valkey", ["valkey args ['--maxmemory', '1gb'] -> ['--maxmemory', '1gb', "
                                                     "'--rename-command', 'CLIENT', 'c7f0e2']"], 60, "rollout")
    facts = _facts([write], [_log("ingest-worker-5b7c9d-abcde", "ingest", REDIS_PY)])
    [hit] = dc.found(facts)
    assert hit.target.name == "valkey" and hit.old_known and hit.directive == "rename-command CLIENT c7f0e2"
    assert "CLIENT SETNAME" in dc.finding(hit)["message"]


def test_acl_rule_refusing_dangerous_commands_explains_noperm() -> None:
    write = _change("ConfigMap", "cache", "redis-acl", ["data key users.acl 'user default on nopass ~* &* +@all' -> "
                                                        "'user default on nopass ~* &* +@all -@dangerous'"])
    facts = _facts([write], [_log("jobs-queue-7c8d9e-fghij", "jobs", IOREDIS_ACL)])
    [hit] = dc.found(facts)
    assert hit.target.name == "redis-acl" and "-@dangerous" in hit.directive and hit.what.lower() == "config"


def test_another_command_renamed_is_not_the_cause() -> None:
    conf = 'bind 0.0.0.0\nrename-command FLUSHALL ""\nrename-command KEYS ""\n'
    facts = _facts([_hardening_write()], [_log("policy-api-6d8f9b7c5-k2x9q", "policies", LETTUCE)],
                   [_config("cache", "session-store-conf", "redis.conf", conf)])
    assert dc.found(facts) == []


def test_rename_already_there_before_the_write_is_not_the_cause() -> None:
    write = _change("ConfigMap", "cache", "session-store-conf", [
        "data key redis.conf 'rename-command CONFIG \"\"\\nmaxmemory 1gb' -> "
        "'rename-command CONFIG \"\"\\nmaxmemory 2gb'"])
    facts = _facts([write], [_log("policy-api-6d8f9b7c5-k2x9q", "policies", LETTUCE)])
    assert dc.found(facts) == []


def test_error_printed_before_the_write_is_not_caused_by_it() -> None:
    facts = _facts([_hardening_write(60)], [_log("policy-api-6d8f9b7c5-k2x9q", "policies", LETTUCE, 120)],
                   [_config("cache", "session-store-conf", "redis.conf", HARDENED)])
    assert dc.found(facts) == []


# ---- MySQL: a SQL mode turned on ------------------------------------------------------------------------------


def test_only_full_group_by_added_to_my_cnf_breaks_the_reports_query_and_its_twin_already_on() -> None:
    added = _change("ConfigMap", "db", "orders-mysql-conf", [
        "data key my.cnf '[mysqld]\\nsql_mode=STRICT_TRANS_TABLES\\nmax_connections=300' -> "
        "'[mysqld]\\nsql_mode=ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES\\nmax_connections=300'"])
    [hit] = dc.found(_facts([added], [_log("reports-7d6c5b4a3-qwert", "shop", MYSQL_GROUP_BY)]))
    assert hit.target.name == "orders-mysql-conf" and hit.what.lower() == "only_full_group_by"
    assert "sql_mode" in dc.finding(hit)["message"][:300]
    already = _change("ConfigMap", "db", "orders-mysql-conf", [
        "data key my.cnf '[mysqld]\\nsql_mode=ONLY_FULL_GROUP_BY\\nmax_connections=300' -> "
        "'[mysqld]\\nsql_mode=ONLY_FULL_GROUP_BY\\nmax_connections=500'"])
    assert dc.found(_facts([already], [_log("reports-7d6c5b4a3-qwert", "shop", MYSQL_GROUP_BY)])) == []


def test_strict_mode_in_server_args_explains_a_missing_default() -> None:
    write = _change("StatefulSet", "db", "mariadb", ["mariadb args ['--sql-mode=NO_ENGINE_SUBSTITUTION'] -> "
                                                     "['--sql-mode=STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION']"],
                    45, "rollout")
    [hit] = dc.found(_facts([write], [_log("signup-api-5f4e3d2c1-zxcvb", "web", PYMYSQL_STRICT)]))
    assert hit.target.name == "mariadb" and hit.what == "STRICT_TRANS_TABLES"


# ---- reading --------------------------------------------------------------------------------------------------


def test_read_fetches_a_written_configmap_only_when_such_an_error_is_in_view() -> None:
    asked: list[str] = []

    async def call(tool: str, arguments: dict[str, Any], step: str) -> ToolOutcome:
        asked.append(str(arguments.get("name")))
        text = yaml.safe_dump(_config("cache", "session-store-conf", "redis.conf", HARDENED)[0])
        return ToolOutcome("E30", tool, arguments, True, text, full_text=text)

    quiet = _facts([_hardening_write()], [_log("policy-api-6d8f9b7c5-k2x9q", "policies", "timeout talking to db")])
    asyncio.run(dc.read(quiet, call))
    assert asked == []
    facts = _facts([_hardening_write()], [_log("policy-api-6d8f9b7c5-k2x9q", "policies", LETTUCE)])
    asyncio.run(dc.read(facts, call))
    assert asked == ["session-store-conf"]
    [hit] = dc.found(facts)
    assert hit.target.name == "session-store-conf"


# ---- a server made read-only by a setting --------------------------------------------------------------------

PG_READ_ONLY = "psycopg2.errors.ReadOnlySqlTransaction: cannot execute INSERT in a read-only transaction"
MYSQL_READ_ONLY = ("java.sql.SQLException: The MySQL server is running with the --super-read-only option so it "
                   "cannot execute this statement")


def test_postgres_default_transaction_read_only_written_in_its_conf_and_a_standby_twin() -> None:
    write = _change("ConfigMap", "db", "orders-pg-conf", [
        "data key postgresql.conf 'max_connections = 200' -> "
        "'max_connections = 200\\ndefault_transaction_read_only = on'"])
    [hit] = dc.found(_facts([write], [_log("orders-api-6b5c4d3e2-asdfg", "shop", PG_READ_ONLY)]))
    assert hit.target.name == "orders-pg-conf" and "default_transaction_read_only = on" in hit.directive
    assert "read-only transaction" in dc.finding(hit)["message"][:400]
    tuned = _change("ConfigMap", "db", "orders-pg-conf", ["data key postgresql.conf 'work_mem = 4MB' -> "
                                                          "'work_mem = 8MB'"])
    assert dc.found(_facts([tuned], [_log("orders-api-6b5c4d3e2-asdfg", "shop", PG_READ_ONLY)])) == []


def test_mysql_super_read_only_in_server_args() -> None:
    write = _change("StatefulSet", "db", "mysql", ["mysql args ['--max-connections=300'] -> "
                                                   "['--max-connections=300', '--super-read-only=ON']"], 30, "rollout")
    [hit] = dc.found(_facts([write], [_log("billing-5d4c3b2a1-poiuy", "billing", MYSQL_READ_ONLY)]))
    assert hit.target.name == "mysql" and hit.what == "read_only"


def test_bitnami_disable_commands_env_gains_config_and_its_twin_without_it() -> None:
    write = _change("StatefulSet", "cache", "redis-master", [
        "redis env REDIS_DISABLE_COMMANDS='FLUSHDB,FLUSHALL' -> REDIS_DISABLE_COMMANDS='FLUSHDB,FLUSHALL,CONFIG'"],
        50, "rollout")
    [hit] = dc.found(_facts([write], [_log("policy-api-6d8f9b7c5-k2x9q", "policies", LETTUCE)]))
    assert hit.directive == "REDIS_DISABLE_COMMANDS=FLUSHDB,FLUSHALL,CONFIG"
    other = _change("StatefulSet", "cache", "redis-master", [
        "redis env REDIS_DISABLE_COMMANDS='FLUSHDB' -> REDIS_DISABLE_COMMANDS='FLUSHDB,FLUSHALL'"], 50, "rollout")
    assert dc.found(_facts([other], [_log("policy-api-6d8f9b7c5-k2x9q", "policies", LETTUCE)])) == []
