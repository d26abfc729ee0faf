"""Concurrency caps of software beyond the servlet containers, Puma, gunicorn, PHP-FPM and nginx (issue #12 audit of
agent.triage.concurrency_cap).

Shapes: PgBouncer's `default_pool_size` cut in its pgbouncer.ini (clients wait for a server connection), Apache
httpd's `MaxRequestWorkers` cut in httpd.conf (its error log: `server reached MaxRequestWorkers setting`), uWSGI's
`--processes` flag cut (`listen queue of socket ... full`), a SQLAlchemy pool size set below its default (the
client's own `QueuePool limit of size N overflow M reached`), HAProxy `maxconn`. Twins: a pool raised, a pool set
above the default, and the cut whose holder never saturates.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agent.triage import concurrency_cap as cc
from agent.triage.facts import Facts

_AT = datetime(2026, 10, 4, 11, tzinfo=UTC)


def _change(kind: str, name: str, diff: list[str], ns: str = "data") -> dict[str, Any]:
    return {"at": (_AT - timedelta(minutes=55)).strftime("%Y-%m-%dT%H:%M:%SZ"), "type": "rollout",
            "object": {"kind": kind, "namespace": ns, "name": name}, "summary": "", "diff": diff, "related": []}


def _facts(*changes: dict[str, Any]) -> Facts:
    return Facts(at=_AT, changes={"changes": list(changes)}, changes_id="E2")


@pytest.mark.parametrize(("key", "program", "software"), [
    ("default_pool_size", "", "PgBouncer"),
    ("PGBOUNCER_DEFAULT_POOL_SIZE", "", "PgBouncer"),
    ("MaxRequestWorkers", "", "Apache httpd"),
    ("--processes", "uwsgi --ini app.ini", "uWSGI"),
    ("UWSGI_PROCESSES", "", "uWSGI"),
    ("SQLALCHEMY_POOL_SIZE", "", "SQLAlchemy"),
    ("spring.datasource.dbcp2.max-total", "", "DBCP2"),
    ("spring.datasource.tomcat.max-active", "", "Tomcat JDBC"),
    ("maxconn", "", "HAProxy"),
])
def test_other_softwares_caps_are_recognised(key: str, program: str, software: str) -> None:
    fam = cc.family_of(key, program)
    assert fam is not None and fam.software == software


@pytest.mark.parametrize(("software", "line"), [
    ("Apache httpd", "[mpm_event:error] [pid 1:tid 140] AH00484: server reached MaxRequestWorkers setting, "
                     "consider raising the MaxRequestWorkers setting"),
    ("uWSGI", "Sat Oct  4 10:40:02 2026 - *** uWSGI listen queue of socket \":8000\" (fd: 3) full !!! (101/100) ***"),
    ("SQLAlchemy", "sqlalchemy.exc.TimeoutError: QueuePool limit of size 2 overflow 0 reached, connection timed out, "
                   "timeout 30.00"),
    ("DBCP2", "org.apache.commons.dbcp2... Cannot get a connection, pool error Timeout waiting for idle object"),
    ("Tomcat JDBC", "Timeout: Pool empty. Unable to fetch a connection in 30 seconds, none available[size:4; busy:4"),
])
def test_each_softwares_own_wording_at_the_cap_is_read(software: str, line: str) -> None:
    fam = next(f for f in cc.FAMILIES if f.software == software and f.said is not None)
    assert fam.said is not None and fam.said.search(line) and fam.grep.lower() in line.lower()


def _saturated(facts: Facts, holder: str, key: str, **sat: Any) -> Facts:
    facts.reads[cc.READS] = {"saturation": {f"{holder}|{key}": {"signs": ["clients waiting 38 for 14 min"],
                                                                 "evidence": ["E9"], **sat}},
                             "names": ["orders"], "namespaces": ["data"]}
    return facts


def test_pgbouncer_pool_cut_in_its_ini_with_clients_waiting_and_its_raised_twin() -> None:
    cut_line = ("data key pgbouncer.ini '[pgbouncer]\\npool_mode = transaction\\ndefault_pool_size = 40\\n' -> "
                "'[pgbouncer]\\npool_mode = transaction\\ndefault_pool_size = 5\\n'")
    [cut] = cc.candidates(_facts(_change("ConfigMap", "pgbouncer", [cut_line])))
    assert (cut.family.software, cut.before, cut.after) == ("PgBouncer", 40, 5)
    facts = _saturated(_facts(_change("Deployment", "pgbouncer", [
        "pgbouncer env PGBOUNCER_DEFAULT_POOL_SIZE='40' -> PGBOUNCER_DEFAULT_POOL_SIZE='5'"])),
        "Deployment data/pgbouncer", "PGBOUNCER_DEFAULT_POOL_SIZE")
    [capped] = cc.found(facts)
    assert "PgBouncer server connections per pool" in cc.finding(capped)["message"][:200]
    raised = cut_line.replace("= 40", "= X").replace("= 5", "= 40").replace("= X", "= 5")
    assert cc.candidates(_facts(_change("ConfigMap", "pgbouncer", [raised]))) == []


def test_apache_max_request_workers_cut_in_httpd_conf() -> None:
    line = ("data key httpd-mpm.conf '<IfModule mpm_event_module>\\n    MaxRequestWorkers 150\\n</IfModule>\\n' -> "
            "'<IfModule mpm_event_module>\\n    MaxRequestWorkers 10\\n</IfModule>\\n'")
    [cut] = cc.candidates(_facts(_change("ConfigMap", "web-httpd", [line])))
    assert (cut.family.software, cut.before, cut.after) == ("Apache httpd", 150, 10)


def test_uwsgi_processes_flag_cut_and_unsaturated_twin() -> None:
    change = _change("Deployment", "catalog", [
        "catalog args ['uwsgi', '--ini', 'app.ini', '--processes', '8'] -> "
        "['uwsgi', '--ini', 'app.ini', '--processes', '2']"])
    [cut] = cc.candidates(_facts(change))
    assert (cut.family.software, cut.before, cut.after) == ("uWSGI", 8, 2)
    idle = _saturated(_facts(change), "Deployment data/catalog", "--processes", signs=[])
    assert cc.found(idle) == []


def test_sqlalchemy_pool_below_and_above_its_default() -> None:
    below = _change("Deployment", "orders", ["orders env SQLALCHEMY_POOL_SIZE (unset) -> SQLALCHEMY_POOL_SIZE='2'"])
    [cut] = cc.candidates(_facts(below))
    assert (cut.before, cut.after) == (5, 2)
    above = _change("Deployment", "orders", ["orders env SQLALCHEMY_POOL_SIZE (unset) -> SQLALCHEMY_POOL_SIZE='20'"])
    assert cc.candidates(_facts(above)) == []
