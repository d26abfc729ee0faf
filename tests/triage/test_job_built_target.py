"""agent.triage.job_built_target: a Job whose name carries the versioned data object the failing errors quote.

Facts are the change timeline's job entries and log evidence whose errors are other stores' wordings (OpenSearch's
mapping refusal, PostgreSQL's type error on a rebuilt table, MongoDB on a new collection).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import job_built_target
from agent.triage.facts import Facts, LogEvidence, Ref

_AT = datetime(2026, 9, 14, 8, 0, tzinfo=UTC)


def _stamp(minutes_before: int) -> str:
    return (_AT - timedelta(minutes=minutes_before)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _log(message: str, first_before: int | None = None) -> LogEvidence:
    top: dict[str, Any] = {"message": message, "error_class": "exception"}
    if first_before is not None:
        top["first_seen"] = _stamp(first_before)
    return LogEvidence(pod="catalog-api-7c8d9f6b5-q2w4z", namespace="catalog", evidence_id="E6", top=top, hosts=[],
                       error_classes={"exception"}, previous=False)


def _job(name: str, minutes: int) -> dict[str, Any]:
    return {"at": _stamp(minutes), "type": "job", "object": {"kind": "Job", "namespace": "catalog", "name": name},
            "summary": f"Job catalog/{name} ran", "diff": [], "related": []}


def _facts(log: LogEvidence, *changes: dict[str, Any]) -> Facts:
    return Facts(at=_AT, logs=[log], changes={"changes": list(changes)}, changes_id="E2")


_OPENSEARCH = ("OpenSearchException[illegal_argument_exception]: Text fields are not optimised for sorting; "
               "set fielddata=true on [sku] in index [catalog-items-2026-09]")
_POSTGRES = 'ERROR: operator does not exist: text > integer in relation "orders_v12" (SQLSTATE 42883)'


def test_backfill_job_named_after_the_index_the_errors_quote_is_the_suspect() -> None:
    facts = _facts(_log(_OPENSEARCH, 20), _job("backfill-catalog-items-2026-09", 25), _job("nightly-report", 30))
    [hit] = job_built_target.found(facts)
    assert hit.job == Ref("Job", "catalog", "backfill-catalog-items-2026-09") and hit.target == "catalog-items-2026-09"
    message = job_built_target.finding(hit, _AT)["message"]
    assert message.startswith("Job catalog/backfill-catalog-items-2026-09 ran 25 min before the alert")
    assert "fielddata=true on [sku]" in message


def test_copy_job_for_a_rebuilt_table_with_underscores_is_the_suspect() -> None:
    facts = _facts(_log(_POSTGRES), _job("copy-orders-v12", 50))
    [hit] = job_built_target.found(facts)
    assert hit.job.name == "copy-orders-v12" and hit.target == "orders_v12"


def test_a_job_whose_name_the_errors_do_not_quote_is_no_suspect() -> None:
    facts = _facts(_log(_OPENSEARCH, 20), _job("backfill-catalog-items-2026-08", 25))
    assert job_built_target.found(facts) == []


def test_errors_seen_before_the_job_ran_do_not_blame_it() -> None:
    facts = _facts(_log(_OPENSEARCH, 120), _job("backfill-catalog-items-2026-09", 25))
    assert job_built_target.found(facts) == []


def test_an_unversioned_word_is_not_enough() -> None:
    facts = _facts(_log("index_not_found_exception: no such index [products]"), _job("cleanup-products", 10))
    assert job_built_target.found(facts) == []


# ---- qualified names as other stores print them (issue #12 audit) ----

_SNOWFLAKE = ("SQL compilation error: error line 1 at position 7 invalid identifier 'TOTAL' in "
              "'ANALYTICS.PUBLIC.ORDERS_V9'")
_MYSQL = "(1054, \"Unknown column 'sku' in 'shop.events_v3'\")"


def test_snowflake_fully_qualified_table_carried_by_its_last_part() -> None:
    [hit] = job_built_target.found(_facts(_log(_SNOWFLAKE, 20), _job("rebuild-orders-v9", 25)))
    assert hit.job.name == "rebuild-orders-v9"


def test_twin_snowflake_table_the_job_does_not_carry() -> None:
    assert job_built_target.found(_facts(_log(_SNOWFLAKE, 20), _job("rebuild-public-v9", 25))) == []


def test_mysql_schema_qualified_table_carried_by_its_last_part() -> None:
    [hit] = job_built_target.found(_facts(_log(_MYSQL, 10), _job("copy-events-v3", 15)))
    assert hit.job.name == "copy-events-v3"


def test_twin_mysql_errors_before_the_job_ran() -> None:
    assert job_built_target.found(_facts(_log(_MYSQL, 60), _job("copy-events-v3", 15))) == []
