"""held_horizon: the oldest transaction's age as CloudNativePG's own exporter names it (issue #12 audit).

A CloudNativePG cluster exports no postgres_exporter gauge: its default monitoring query `backends` gives
`cnpg_backends_max_tx_duration_seconds` per state. Shape: a Python ETL CronJob's run opening one SERIALIZABLE
transaction, measured by that gauge, with PostgreSQL 16's autovacuum wording (`removable cutoff ... XIDs old`).
Twin: the same gauge young (a report running minutes).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.toolhub import ToolOutcome
from agent.triage import held_horizon as hh
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 8, 2, 9, 30, tzinfo=UTC)
GAUGE = "cnpg_backends_max_tx_duration_seconds"


def _stamp(minutes: float) -> str:
    return (AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _call(age_s: float, queries: list[str]) -> Any:
    async def call(tool: str, arguments: dict[str, Any], step: str) -> ToolOutcome:
        if tool == "prom_query":
            queries.append(str(arguments["query"]))
            samples = [{"labels": {"__name__": GAUGE}, "value": age_s}] if GAUGE in arguments["query"] else []
            return ToolOutcome("E40", tool, arguments, True, "", data={"samples": samples})
        if tool == "k8s_list" and arguments.get("kind") == "Job":
            rows = [{"name": "ledger-etl-29211", "namespace": "finance", "created": _stamp(age_s / 60 + 2)}]
            return ToolOutcome("E41", tool, arguments, True, "", data={"rows": rows})
        if tool == "k8s_get":
            obj = {"kind": "Job", "metadata": {"name": "ledger-etl-29211", "namespace": "finance",
                                               "ownerReferences": [{"kind": "CronJob", "name": "ledger-etl"}]},
                   "status": {"active": 1}}
            return ToolOutcome("E42", tool, arguments, True, yaml.safe_dump(obj), full_text=yaml.safe_dump(obj))
        if tool == "k8s_list":
            return ToolOutcome("E43", tool, arguments, True, "", data={"rows": [{"name": "ledger-etl-29211-q2w3e"}]})
        log = "2026-08-02 05:01:00 etl.db: set_session(isolation_level='SERIALIZABLE', readonly=True) for the dump"
        return ToolOutcome("E44", tool, arguments, True, "logs", full_text=f"logs of pod\n{log}")
    return call


def _facts() -> Facts:
    line = ("automatic vacuum of table \"app.public.ledger_entries\": index scans: 0 ... tuples: 0 removed, "
            "9120000 remain, 8800000 are dead but not yet removable ... removable cutoff: 7412, which was 5123456 "
            "XIDs old when operation ended")
    log = LogEvidence(pod="pg-main-1", namespace="db", evidence_id="E7",
                      top={"template": line, "example": line, "severity": "info"}, hosts=[], error_classes=set(),
                      previous=False)
    return Facts(at=AT, changes={"changes": []}, changes_id="E2", logs=[log])


def test_cloudnativepg_gauge_ties_the_etl_run_and_is_quoted() -> None:
    queries: list[str] = []
    facts = _facts()
    asyncio.run(hh.read(facts, _call(4.5 * 3600, queries)))
    [h] = hh.found(facts)
    assert GAUGE in queries[0] and h.target.name == "ledger-etl" and h.gauge == GAUGE
    message = hh.finding(h)["message"]
    assert GAUGE in message[:300] and "removable cutoff" in message and "SERIALIZABLE" in message


def test_a_young_cloudnativepg_transaction_names_nothing() -> None:
    facts = _facts()
    asyncio.run(hh.read(facts, _call(900, [])))
    assert hh.found(facts) == []
