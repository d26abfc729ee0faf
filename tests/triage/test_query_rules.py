"""A SQL proxy's query rules written in an order that sends locking statements to a read-only replica (issue #12,
round 22 class: query routing rules).

Written here, not taken from the held-out bundles. Shapes: a proxysql.cnf `mysql_query_rules` list in a ConfigMap,
proven by a Go client's MySQL "Error 1290 ... --read-only"; `INSERT INTO pgsql_query_rules` statements in an init SQL
ConfigMap (ProxySQL's PostgreSQL side), proven by "cannot execute UPDATE in a read-only transaction". Negative twins:
the same rules in a sane order, refusals that began before the write, a ConfigMap without rules, no refusal at all.
The tool hub is a recorded fake answering with Kubernetes' shapes.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import behind, query_rules
from agent.triage.facts import Facts, LogEvidence, Ref
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub, get_only

AT = datetime(2026, 9, 2, 14, 0, tzinfo=UTC)
WRITE = AT - timedelta(minutes=25)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _cm(name: str, key: str, text: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "db-proxy"},
            "data": {key: text}}


def _cnf(first: tuple[int, str, int], second: tuple[int, str, int]) -> str:
    rules = ",\n".join(f'  {{ rule_id={i}, active=1, match_digest="{p}", destination_hostgroup={h}, apply=1 }}'
                       for i, p, h in (first, second))
    return ('mysql_servers=\n(\n  { address="db-0", hostgroup=1 },\n  { address="db-1", hostgroup=2 }\n)\n'
            'mysql_users=\n(\n  { username="app", default_hostgroup=1, transaction_persistent=1 }\n)\n'
            f"mysql_query_rules=\n(\n{rules}\n)\n")


MYSQL_LINE = ("2026/09/02 13:36:10 checkout: update carts: Error 1290 (HY000): The MySQL server is running with the "
              "--read-only option so it cannot execute this statement")
PG_LINE = ('level=error msg="reserve seat" err="ERROR: cannot execute UPDATE in a read-only transaction '
           '(SQLSTATE 25006)"')


def _facts(name: str, line: str, when: datetime, write: datetime = WRITE) -> Facts:
    change = {"at": _iso(write), "type": "config", "object": {"kind": "ConfigMap", "namespace": "db-proxy",
                                                              "name": name},
              "summary": f"ConfigMap db-proxy/{name} updated: data key set", "diff": ["data key set"],
              "related": [{"kind": "Deployment", "namespace": "db-proxy", "name": "proxysql"}]}
    log = LogEvidence(pod="checkout-7d9f6c5b4-bcdfg", namespace="shop", evidence_id="E5", hosts=[],
                      error_classes=set(), previous=False, top={"example": line, "first_seen": _iso(when)})
    return Facts(at=AT, changes={"changes": [change]}, changes_id="E2", logs=[log])


def _run(facts: Facts, hub: RecordingHub) -> list[query_rules.Shadowed]:
    asyncio.run(query_rules.read(Subject(), facts, hub, _iso(AT)))
    return query_rules.found(facts)


def test_a_select_rule_ahead_of_the_for_update_rule_is_blamed_for_read_only_refusals() -> None:
    hub = get_only({"proxysql-cnf": _cm("proxysql-cnf", "proxysql.cnf",
                                   _cnf((5, "^SELECT", 2), (15, "^SELECT.*FOR UPDATE", 1)))})
    facts = _facts("proxysql-cnf", MYSQL_LINE, WRITE + timedelta(minutes=1))
    [hit] = _run(facts, hub)
    assert (hit.earlier.rule_id, hit.later.rule_id, hit.earlier.hostgroup) == (5, 15, 2)
    message = query_rules.finding(hit)["message"][:400]
    assert message.startswith("ConfigMap db-proxy/proxysql-cnf put ProxySQL's query rules in the wrong order")
    assert "SELECT ... FOR UPDATE" in message and "read-only" in message
    [(ref, _, _, explains)] = [s for s in behind.suspects(facts) if s[1]["check"] == query_rules.CHECK]
    assert ref == Ref("ConfigMap", "db-proxy", "proxysql-cnf")
    assert Ref("Deployment", "db-proxy", "proxysql") in explains


INIT_SQL = ("DELETE FROM pgsql_query_rules;\n"
            "INSERT INTO pgsql_query_rules (rule_id, active, match_digest, destination_hostgroup, apply) VALUES\n"
            "  (1, 1, '^SELECT', 20, 1),\n  (2, 1, '^SELECT .* FOR (UPDATE|SHARE)', 10, 1);\n"
            "LOAD PGSQL QUERY RULES TO RUNTIME;\n")


def test_insert_statements_for_the_postgresql_side_are_read_the_same_way() -> None:
    hub = get_only({"proxysql-init": _cm("proxysql-init", "init.sql", INIT_SQL)})
    [hit] = _run(_facts("proxysql-init", PG_LINE, WRITE + timedelta(minutes=3)), hub)
    assert (hit.earlier.pattern, hit.later.rule_id) == ("^SELECT", 2)
    assert query_rules.parse_rules(INIT_SQL)[1].hostgroup == 10
    assert "locking reads (SELECT ... FOR UPDATE)" in query_rules.finding(hit)["message"]


def test_rules_in_a_sane_order_are_not_blamed() -> None:
    hub = get_only({"proxysql-cnf": _cm("proxysql-cnf", "proxysql.cnf",
                                   _cnf((5, "^SELECT.*FOR UPDATE", 1), (15, "^SELECT", 2)))})
    assert _run(_facts("proxysql-cnf", MYSQL_LINE, WRITE + timedelta(minutes=1)), hub) == []


def test_refusals_before_the_write_are_not_its_doing() -> None:
    hub = get_only({"proxysql-cnf": _cm("proxysql-cnf", "proxysql.cnf",
                                   _cnf((5, "^SELECT", 2), (15, "^SELECT.*FOR UPDATE", 1)))})
    assert _run(_facts("proxysql-cnf", MYSQL_LINE, WRITE - timedelta(minutes=30)), hub) == []


def test_no_refusal_reads_nothing_and_a_configmap_without_rules_is_not_kept() -> None:
    hub = get_only({"app-config": _cm("app-config", "app.yaml", "pool: 20\n")})
    facts = _facts("app-config", "2026/09/02 13:36:10 checkout: ok in 8ms", WRITE + timedelta(minutes=1))
    assert _run(facts, hub) == [] and not hub.calls
    facts = _facts("app-config", MYSQL_LINE, WRITE + timedelta(minutes=1))
    assert _run(facts, hub) == [] and hub.calls
