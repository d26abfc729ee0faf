"""A server setting that takes away what clients use: families beyond Redis commands and MySQL sql_mode (issue #12
audit of agent.triage.disabled_command).

Each error is the server's own wording as its clients print it: PHP PDO under MySQL's require_secure_transport
(3159), the PostgreSQL JDBC driver under max_prepared_transactions=0 (an XA transaction manager), elasticsearch-py
under action.destructive_requires_name, MySQL's disabled_storage_engines (3161), a Ruby client under Redis'
min-replicas-to-write (NOREPLICAS). Twins: the setting already on before the write, the setting at a value that
takes nothing away, another engine disabled, the error printed before the write.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import disabled_command as dc
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 4, 12, 14, 0, tzinfo=UTC)


def _stamp(minutes: int) -> str:
    return (AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _change(kind: str, ns: str, name: str, line: str, minutes: int = 75) -> dict[str, Any]:
    return {"at": _stamp(minutes), "type": "config" if kind == "ConfigMap" else "rollout",
            "object": {"kind": kind, "namespace": ns, "name": name}, "summary": f"{kind} {ns}/{name}: {line}",
            "diff": [line], "related": []}


def _log(pod: str, ns: str, message: str, first_minutes: int = 30) -> LogEvidence:
    entry = {"template": message, "example": message, "severity": "error", "first_seen": _stamp(first_minutes)}
    return LogEvidence(pod=pod, namespace=ns, evidence_id="E7", top=entry, hosts=[], error_classes=set(),
                       previous=False)


def _facts(changes: list[dict[str, Any]], logs: list[LogEvidence]) -> Facts:
    return Facts(at=AT, changes={"changes": changes}, changes_id="E2", logs=logs)


PDO = ("PDOException: SQLSTATE[HY000] [3159] Connections using insecure transport are prohibited while "
       "--require_secure_transport=ON.")
PGJDBC = ("org.postgresql.util.PSQLException: ERROR: prepared transactions are disabled  Hint: Set "
          "max_prepared_transactions to a nonzero value.")
CURATOR = ("elasticsearch.exceptions.RequestError: RequestError(400, 'illegal_argument_exception', 'Wildcard "
           "expressions or all indices are not allowed')")
ENGINE = "ERROR 3161 (HY000) at line 12: Storage engine MyISAM is disabled (Table creation is disallowed)."
NOREPLICAS = "Redis::CommandError: NOREPLICAS Not enough good replicas to write."


def test_mysql_require_secure_transport_refuses_plain_clients_and_its_twin_already_on() -> None:
    write = _change("ConfigMap", "db", "mysql-conf",
                    "data.my.cnf '[mysqld]\\nrequire_secure_transport=OFF' -> '[mysqld]\\nrequire_secure_transport=ON'")
    [hit] = dc.found(_facts([write], [_log("shop-web-6b7d8-x1x2z", "shop", PDO)]))
    message = dc.finding(hit)["message"]
    assert str(hit.target) == "ConfigMap db/mysql-conf" and hit.what == "require_secure_transport"
    assert message.startswith("ConfigMap db/mysql-conf made the database refuse every connection without TLS")
    already = _change("ConfigMap", "db", "mysql-conf",
                      "data.my.cnf 'require_secure_transport=ON\\nmax_connections=200' -> "
                      "'require_secure_transport=ON\\nmax_connections=400'")
    assert dc.found(_facts([already], [_log("shop-web-6b7d8-x1x2z", "shop", PDO)])) == []


def test_postgres_max_prepared_transactions_zero_in_args_breaks_xa_and_a_nonzero_twin() -> None:
    write = _change("StatefulSet", "db", "ledger-pg",
                    "spec.template.spec.containers[0].args ['-c', 'max_prepared_transactions=64'] -> "
                    "['-c', 'max_prepared_transactions=0']")
    [hit] = dc.found(_facts([write], [_log("settlement-7c4f9-abcde", "pay", PGJDBC)]))
    assert hit.rule.name == "pg_prepared_transactions" and "two-phase commit" in dc.finding(hit)["message"][:200]
    raised = _change("StatefulSet", "db", "ledger-pg",
                     "spec.template.spec.containers[0].args ['-c', 'max_prepared_transactions=0'] -> "
                     "['-c', 'max_prepared_transactions=64']")
    assert dc.found(_facts([raised], [_log("settlement-7c4f9-abcde", "pay", PGJDBC)])) == []


def test_elasticsearch_destructive_requires_name_breaks_a_wildcard_cleanup() -> None:
    write = _change("ConfigMap", "search", "es-config",
                    "data.elasticsearch.yml 'cluster.name: logs' -> "
                    "'cluster.name: logs\\naction.destructive_requires_name: true'")
    [hit] = dc.found(_facts([write], [_log("index-cleanup-29120400-q8w7e", "search", CURATOR)]))
    assert hit.what == "action.destructive_requires_name"
    early = _log("index-cleanup-29120400-q8w7e", "search", CURATOR, first_minutes=300)  # before the write
    assert dc.found(_facts([write], [early])) == []


def test_mysql_disabled_storage_engine_names_the_engine_and_another_engine_twin() -> None:
    write = _change("ConfigMap", "db", "mysql-conf",
                    "data.my.cnf '[mysqld]' -> '[mysqld]\\ndisabled_storage_engines=\"MyISAM,BLACKHOLE\"'")
    [hit] = dc.found(_facts([write], [_log("migrate-4kq2z", "crm", ENGINE)]))
    assert hit.what == "MyISAM" and "MyISAM" in dc.finding(hit)["message"][:120]
    other = _change("ConfigMap", "db", "mysql-conf",
                    "data.my.cnf '[mysqld]' -> '[mysqld]\\ndisabled_storage_engines=\"ARCHIVE,BLACKHOLE\"'")
    assert dc.found(_facts([other], [_log("migrate-4kq2z", "crm", ENGINE)])) == []


def test_redis_min_replicas_to_write_refuses_writers() -> None:
    write = _change("ConfigMap", "cache", "redis-conf",
                    "data.redis.conf 'maxmemory 2gb' -> 'maxmemory 2gb\\nmin-replicas-to-write 2'")
    [hit] = dc.found(_facts([write], [_log("sidekiq-5d8f9-pq1rs", "jobs", NOREPLICAS)]))
    assert hit.rule.name == "redis_min_replicas"
    zero = _change("ConfigMap", "cache", "redis-conf",
                   "data.redis.conf 'maxmemory 2gb' -> 'maxmemory 2gb\\nmin-replicas-to-write 0'")
    assert dc.found(_facts([zero], [_log("sidekiq-5d8f9-pq1rs", "jobs", NOREPLICAS)])) == []


def test_strict_mode_wordings_beyond_a_missing_default() -> None:
    """MySQL strict mode turns these warnings into errors (MySQL manual, 'Strict SQL Mode')."""
    strict = next(r for r in dc.RULES if r.name == "mysql_sql_mode")
    for said in ("Incorrect integer value: '' for column 'qty' at row 1",
                 "Out of range value for column 'discount' at row 3"):
        m = strict.error.search(said)
        assert m is not None and dc._what(strict, m) == "STRICT_TRANS_TABLES"
