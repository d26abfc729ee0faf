"""A datastore scaled out with its new members' bootstrap off: reads routed to them find no row
(agent.triage.join_without_data).

Shapes: Cassandra with `-Dcassandra.auto_bootstrap=false` in a JVM options env and a diff that shows the replica
count grow, a Java service's AccountNotFound 404 as the symptom; ScyllaDB with `auto_bootstrap: false` in a mounted
scylla.yaml, a timeline that shows only the new count, the growth proven by the members' creation times read back,
a Python service's 404 access line. Twins: bootstrap left on, every member recreated (a restart, not a scale-out),
no client saying not found, a scale-in.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.toolhub import ToolOutcome
from agent.triage import join_without_data as jw
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _stamp(minutes: int) -> str:
    return (AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _scale(ns: str, name: str, line: str, minutes: int = 40) -> dict[str, Any]:
    return {"at": _stamp(minutes), "type": "scale", "object": {"kind": "StatefulSet", "namespace": ns, "name": name},
            "summary": f"StatefulSet {ns}/{name} written by helm: spec.replicas", "diff": [line], "related": []}


def _sts(ns: str, name: str, replicas: int, env: list[dict[str, str]] | None = None,
         config: str = "") -> tuple[dict[str, Any], str]:
    volumes = [{"name": "conf", "configMap": {"name": config}}] if config else []
    return ({"kind": "StatefulSet", "metadata": {"name": name, "namespace": ns},
             "spec": {"replicas": replicas, "template": {"spec": {
                 "containers": [{"name": name.split("-")[0], "image": "db:1", "env": env or []}],
                 "volumes": volumes}}}}, "E10")


def _log(pod: str, ns: str, line: str) -> LogEvidence:
    return LogEvidence(pod=pod, namespace=ns, evidence_id="E7", top=None, hosts=[], error_classes=set(),
                       previous=False, last_lines=[line])


def _facts(changes: list[dict[str, Any]], logs: list[LogEvidence],
           objects: list[tuple[dict[str, Any], str]]) -> Facts:
    return Facts(at=AT, changes={"changes": changes}, changes_id="E2", logs=logs, objects=objects)


JAVA_404 = ("WARN 1 --- [exec-3] c.e.ledger.BalanceController : AccountNotFoundException: no balance row for "
            "account A-991 (consistency LOCAL_ONE, 0 rows) -> 404")
PY_404 = '10.0.3.7 - - "GET /v1/profiles/u-5531 HTTP/1.1" 404 Not Found'
CASSANDRA_ENV = [{"name": "JVM_EXTRA_OPTS", "value": "-Dcassandra.auto_bootstrap=false"}]


def test_cassandra_scaled_out_with_bootstrap_off_in_jvm_opts_names_the_statefulset() -> None:
    facts = _facts([_scale("ledger", "cassandra", "spec.replicas 3 -> 6")],
                   [_log("balances-api-6c9f8d7b5-k2x9q", "money", JAVA_404)],
                   [_sts("ledger", "cassandra", 6, CASSANDRA_ENV)])
    [hit] = jw.found(facts)
    assert hit.target.name == "cassandra" and hit.size == "from 3 to 6 replicas" and "JVM_EXTRA_OPTS" in hit.where
    head = jw.finding(hit)["message"][:400]
    for word in ("scaled out", "auto_bootstrap", "token", "streaming", "not found"):
        assert word in head


def test_bootstrap_left_on_is_no_cause() -> None:
    facts = _facts([_scale("ledger", "cassandra", "spec.replicas 3 -> 6")],
                   [_log("balances-api-6c9f8d7b5-k2x9q", "money", JAVA_404)],
                   [_sts("ledger", "cassandra", 6, [{"name": "MAX_HEAP_SIZE", "value": "4G"}])])
    assert jw.found(facts) == []


def test_no_client_saying_not_found_and_a_scale_in_are_no_cause() -> None:
    quiet = _facts([_scale("ledger", "cassandra", "spec.replicas 3 -> 6")],
                   [_log("balances-api-6c9f8d7b5-k2x9q", "money", "GET /v1/balance 200 12ms")],
                   [_sts("ledger", "cassandra", 6, CASSANDRA_ENV)])
    assert jw.found(quiet) == []
    shrunk = _facts([_scale("ledger", "cassandra", "spec.replicas 6 -> 3")],
                    [_log("balances-api-6c9f8d7b5-k2x9q", "money", JAVA_404)],
                    [_sts("ledger", "cassandra", 3, CASSANDRA_ENV)])
    assert jw.found(shrunk) == []


def _reader(first_minutes: int, newest_minutes: int, log: str) -> tuple[list[tuple[str, str]], Any]:
    asked: list[tuple[str, str]] = []
    objects = {"scylla": _sts("profiles", "scylla", 5, config="scylla-conf")[0],
               "scylla-conf": {"kind": "ConfigMap", "metadata": {"name": "scylla-conf", "namespace": "profiles"},
                               "data": {"scylla.yaml": "cluster_name: profiles\nauto_bootstrap: false\n"}},
               "scylla-0": {"kind": "Pod", "metadata": {"name": "scylla-0",
                                                        "creationTimestamp": _stamp(first_minutes)}},
               "scylla-4": {"kind": "Pod", "metadata": {"name": "scylla-4",
                                                        "creationTimestamp": _stamp(newest_minutes)}}}

    async def call(tool: str, arguments: dict[str, Any], step: str) -> ToolOutcome:
        asked.append((tool, str(arguments.get("name"))))
        if tool == "k8s_logs":
            return ToolOutcome("E31", tool, arguments, True, "logs", full_text=f"logs\n{log}")
        text = yaml.safe_dump(objects[str(arguments.get("name"))])
        return ToolOutcome("E30", tool, arguments, True, text, full_text=text)

    return asked, call


def test_scylla_new_count_only_growth_proven_by_creation_times_config_read_back() -> None:
    asked, call = _reader(9000, 30, "Scylla version 5.4 starting")
    facts = _facts([_scale("profiles", "scylla", "spec.replicas written by helm (now 5)")],
                   [_log("profile-api-7d8c9b6a5-zxcvb", "web", PY_404)], [])
    asyncio.run(jw.read(facts, call))
    assert ("k8s_get", "scylla-conf") in asked and ("k8s_logs", "scylla-4") in asked
    [hit] = jw.found(facts)
    assert "scylla-4 created after the write" in hit.size and "ConfigMap profiles/scylla-conf" in hit.where


def test_every_member_recreated_is_a_restart_not_a_scale_out() -> None:
    asked, call = _reader(20, 30, "Scylla version 5.4 starting")
    facts = _facts([_scale("profiles", "scylla", "spec.replicas written by helm (now 5)")],
                   [_log("profile-api-7d8c9b6a5-zxcvb", "web", PY_404)], [])
    asyncio.run(jw.read(facts, call))
    assert asked and jw.found(facts) == []


def test_read_asks_nothing_without_a_not_found_symptom() -> None:
    asked, call = _reader(9000, 30, "")
    facts = _facts([_scale("profiles", "scylla", "spec.replicas written by helm (now 5)")],
                   [_log("profile-api-7d8c9b6a5-zxcvb", "web", "GET /v1/profiles/u-1 200")], [])
    asyncio.run(jw.read(facts, call))
    assert asked == []


def test_a_scale_summary_in_words_gives_old_and_new() -> None:
    change = _scale("ledger", "cassandra", "StatefulSet ledger/cassandra scaled from 4 to 8 replicas")
    facts = _facts([change], [_log("balances-api-6c9f8d7b5-k2x9q", "money", JAVA_404)],
                   [_sts("ledger", "cassandra", 8, [{"name": "JVM_OPTS",
                                                      "value": "-Dcassandra.auto_bootstrap=false"}])])
    [hit] = jw.found(facts)
    assert hit.size == "from 4 to 8 replicas"
