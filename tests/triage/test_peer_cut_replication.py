"""peer_cut: an ingress allow-list in a database's namespace that cuts its replicas off their primary.

Streaming replication is member-to-member traffic too: a standby dials its primary on the client port, so a policy
admitting only the clients' namespaces stops it; nothing loses a quorum, the replicas fall behind and reads served
by them go stale. Shapes: a PostgreSQL standby (walreceiver words) whose pod template declares only an HTTP API port
(the dialled port is read from its own line), and a MySQL replica's I/O thread. Twins: the policy also admits the
members' own pods; members whose logs show replication streaming normally.
"""

from __future__ import annotations

from typing import Any

from tests.triage.test_peer_cut import Cluster, _facts, _namespace, _policy, _run, _sts

PG_STANDBY = ("2026-11-20 03:14:05.118 UTC [2211] FATAL:  could not connect to the primary server: connection to "
              'server at "ledger-db-0.ledger-db" (10.8.3.17), port 5432 failed: Connection timed out\n')
MYSQL_REPLICA = ("2026-11-20T03:14:07.551203Z 12 [ERROR] [MY-010584] [Repl] Replica I/O for channel '': Error "
                 "connecting to source 'repl@inventory-mysql-0.inventory-mysql:3306'. This was attempt 4/86400, with "
                 "a delay of 60 seconds between attempts. Message: Can't connect to MySQL server on "
                 "'inventory-mysql-0.inventory-mysql:3306' (110), Error_code: MY-002003\n")
CLIENTS = [{"from": [{"namespaceSelector": {"matchLabels": {"team": "ledger"}}}],
            "ports": [{"protocol": "TCP", "port": 5432}, {"protocol": "TCP", "port": 3306}]}]
MEMBERS = [{"from": [{"podSelector": {"matchLabels": {"role": "db"}}}]}]


def _store(app: str, declared: list[int], log: str, ingress: list[dict[str, Any]]) -> Cluster:
    return Cluster([_namespace("db"), _policy("db", f"{app}-allow", {"role": "db"}, ingress),
                    _sts("db", app, {"role": "db", "app": app}, declared, replicas=2)], {f"{app}-0": log})


def test_postgres_standby_cut_from_its_primary_names_the_policy_and_the_dialled_port() -> None:
    [finding] = _run(_facts("db", "ledger-db-allow"), _store("ledger-db", [8008], PG_STANDBY, CLIENTS))
    assert finding["object"]["name"] == "ledger-db-allow" and finding["details"]["port"] == 5432
    head = finding["message"][:300]
    assert "cuts the replicas of StatefulSet db/ledger-db off their primary" in head and "replication" in head
    assert "majority" not in finding["message"]


def test_mysql_replica_io_thread_cut_names_the_policy() -> None:
    [finding] = _run(_facts("db", "inventory-mysql-allow"),
                     _store("inventory-mysql", [3306, 9104], MYSQL_REPLICA, CLIENTS))
    assert finding["details"]["port"] == 3306 and "streaming replication on TCP 3306" in finding["message"]


def test_policy_that_also_admits_the_members_names_nothing() -> None:
    assert _run(_facts("db", "ledger-db-allow"), _store("ledger-db", [8008], PG_STANDBY, CLIENTS + MEMBERS)) == []


def test_members_streaming_normally_name_nothing() -> None:
    healthy_pg = "2026-11-20 03:14:05.118 UTC [2211] LOG:  started streaming WAL from primary at 3/2A000000 on " \
                 "timeline 4\n"
    healthy_mysql = ("2026-11-20T03:14:07.551203Z 12 [System] [MY-010562] [Repl] Replica I/O thread for channel '': "
                     "connected to source 'repl@inventory-mysql-0.inventory-mysql:3306',replication started\n")
    assert _run(_facts("db", "ledger-db-allow"), _store("ledger-db", [8008], healthy_pg, CLIENTS)) == []
    assert _run(_facts("db", "inventory-mysql-allow"),
                _store("inventory-mysql", [3306], healthy_mysql, CLIENTS)) == []
