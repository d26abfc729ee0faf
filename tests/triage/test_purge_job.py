"""agent.triage.purge_job: a cleanup CronJob whose runs now delete live records its namespace's workloads look up.

Shapes: a Redis session janitor whose run prints `min_idle=None` (no `--min-idle` left in its args) and deletes
49110 keys every 15 min, the web app logging `session not found, redirecting to /login` from a run on (no dated
write: the run's own word that the filter is gone); a SQL cart purge whose CronJob the timeline shows re-applied
(`--older-than` dropped) and whose run `removed 1200 rows`, the shop answering `cart not found`. Twins: a run that
deleted a handful; neither a dated write nor a filter printed unset; complaints that do not line up with the
schedule; complaints that began before the write; the flag still in the args.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence
from agent.triage.purge_job import READS, aligned, dropped_filters, found, missing, run_time, suspects

AT = datetime(2026, 12, 3, 15, 30, tzinfo=UTC)
SESSION = ('{"level":"warn","msg":"session not found, redirecting to /login","sid":"sess:9e1","path":"/account",'
           '"status":302}')
CART = "level=error msg=\"cart not found\" cart_id=c-77 status=404"


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def victim(pod: str, ns: str, message: str, first: datetime) -> LogEvidence:
    entry = {"message": message, "example": message, "first_seen": iso(first), "severity": "warning"}
    return LogEvidence(pod=pod, namespace=ns, evidence_id="L1", top=None, hosts=[], error_classes=set(),
                       previous=False, warnings=[entry])


def job(name: str, ns: str, lines: list[str], args: str, schedule: str = "*/15 * * * *",
        written: datetime | None = None, runs: list[datetime] | None = None) -> dict[str, Any]:
    return {"name": name, "namespace": ns, "written": written.isoformat() if written else None, "by": "helm",
            "schedule": schedule, "runs": [r.isoformat() for r in runs or [AT]], "args": args, "lines": lines,
            "evidence": ["E1"]}


REDIS_LINES = ["2026-12-03 15:30:03,000 INFO janitor: scanning pattern=sess:* min_idle=None count=1000",
               "2026-12-03 15:30:40,000 INFO janitor: deleted 49110 keys matching sess:* (scanned 48912) in 37.9s"]


def redis(first: datetime = AT - timedelta(minutes=30), lines: list[str] = REDIS_LINES,
          args: str = "--redis sessions.shop.svc:6379 --pattern sess:*") -> Facts:
    facts = Facts(at=AT)
    facts.logs = [victim("web-6d8f7c9b5-x2k4q", "shop", SESSION, first)]
    facts.reads[READS] = {"jobs": [job("session-sweeper", "shop", lines, args)]}
    return facts


def test_words_of_a_missing_record_and_of_an_unset_filter() -> None:
    assert missing({"message": SESSION}) == "session" and missing({"message": CART}) == "cart"
    assert missing({"message": "invalid session id, please log in again"}) == "session"
    assert not missing({"message": "GET /products 200"})
    assert dropped_filters(REDIS_LINES, "--pattern sess:*") == ["--min-idle"]
    assert dropped_filters(REDIS_LINES, "--pattern sess:* --min-idle 86400") == []
    assert dropped_filters(["pattern=None"], "") == []                     # not a filter setting
    assert run_time("session-sweeper-29938530-m2nk4") == datetime(2026, 12, 3, 15, 30, tzinfo=UTC)


def test_runs_line_up_by_schedule_when_history_keeps_only_the_last() -> None:
    assert aligned(AT - timedelta(minutes=30), [AT], 15) and aligned(AT + timedelta(minutes=2), [AT], 15)
    assert not aligned(AT - timedelta(minutes=12), [AT], 30) and aligned(AT - timedelta(minutes=27), [AT], 30)
    assert aligned(AT - timedelta(minutes=3), [], None)


def test_redis_session_janitor_without_its_filter_is_named_with_the_flag() -> None:
    hits = suspects(redis())
    assert len(hits) == 1
    ref, finding, _, explains = hits[0]
    assert (ref.kind, ref.namespace, ref.name) == ("CronJob", "shop", "session-sweeper") and explains[0].name == "web"
    head = finding["message"][:400]
    assert "deletes" in head and "sessions" in head and "--min-idle" in head and "49110" in head


def test_sql_cart_purge_re_applied_in_the_timeline_is_named() -> None:
    written = AT - timedelta(hours=2)
    facts = Facts(at=AT, changes_id="C1")
    facts.changes = {"changes": []}
    facts.logs = [victim("shop-7f9c8d6b4-m4n8p", "retail", CART, AT - timedelta(minutes=28))]
    lines = ["2026-12-03T15:00:09Z purge: removed 1200 rows from carts"]
    facts.reads[READS] = {"jobs": [job("cart-purge", "retail", lines, "--table carts", schedule="0 * * * *",
                                       written=written, runs=[AT - timedelta(minutes=30)])]}
    hits = found(facts)
    assert len(hits) == 1 and hits[0].job.name == "cart-purge" and hits[0].noun == "cart" and hits[0].count == 1200
    assert "was rewritten by helm 2 h 0 min before the alert" in suspects(facts)[0][1]["message"]
    # the complaints began before the write: not its doing
    facts.reads[READS]["jobs"][0]["written"] = (AT - timedelta(minutes=25)).isoformat()
    assert not found(facts)


def test_twins_a_small_run_no_change_evidence_off_schedule_or_flag_still_there() -> None:
    assert not found(redis(lines=["deleted 3 keys matching sess:* (scanned 48912)", REDIS_LINES[0]]))
    assert not found(redis(lines=[REDIS_LINES[1]]))                             # no write, no unset filter
    assert not found(redis(first=AT - timedelta(minutes=22)))                  # 8 min before a run: off schedule
    assert not found(redis(args="--pattern sess:* --min-idle 86400"))          # the filter is there
