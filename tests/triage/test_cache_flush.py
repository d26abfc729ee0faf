"""A job written to flush a cache tier, confirmed by the hit ratio falling at its runs (issue #12, round 21 class).

Written here, not taken from the held-out bundles: two shapes (a CronJob invalidating a CDN every few minutes,
read through an exporter's hit-rate gauge in percent; a one-off Job running `redis-cli FLUSHALL`, read through
Redis' hit and miss counters as a fraction), the other tools' commands read by `flush_of`, and negative twins (a
job that does not flush, a flush the hit ratio shrugs off, a ratio standing low between runs as much as after
them). The fake hub answers `prom_query` from a hit-ratio curve over time, as Prometheus' subqueries would.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.toolhub import ToolOutcome
from agent.triage import cache_flush
from agent.triage.facts import Facts
from tests.triage.doubles import Call, RecordingHub, outcome

AT = datetime(2026, 8, 14, 9, 0, tzinfo=UTC)
WRITTEN = AT - timedelta(hours=2)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


Curve = Callable[[datetime], float | None]


class Hub(RecordingHub):
    """Objects by (kind, name), Job rows, and a hit-ratio curve per metric family ('cache_hit' or 'redis')."""

    def __init__(self, objects: dict[tuple[str, str], dict[str, Any]], jobs: list[dict[str, Any]],
                 curves: dict[str, tuple[dict[str, str], Curve]]) -> None:
        super().__init__(objects=objects, lists={"Job": jobs})
        self.curves = curves

    def answer(self, call: Call, eid: str) -> ToolOutcome | None:
        if call.tool != "prom_query":
            return super().answer(call, eid)
        query = call.args["query"]
        family = "redis" if "redis_keyspace" in query else "cache_hit" if "cache_?hit" in query else ""
        if family not in self.curves:
            return outcome(True, {"samples": []}, "", eid)
        labels, curve = self.curves[family]
        m = re.match(r"(min|avg)_over_time\(.*\)\[(\d+)(s|h):1m\]\)$", query, re.S)
        assert m, query
        span = timedelta(seconds=int(m[2])) if m[3] == "s" else timedelta(hours=int(m[2]))
        end = datetime.fromisoformat(call.args["time"].replace("Z", "+00:00"))
        values = [v for i in range(int(span.total_seconds() // 60)) if (v := curve(end - timedelta(minutes=i)))
                  is not None]
        if not values:
            return outcome(True, {"samples": []}, "", eid)
        value = min(values) if m[1] == "min" else sum(values) / len(values)
        return outcome(True, {"samples": [{"labels": labels, "value": value}]}, "", eid)


def _facts(kind: str, ns: str, name: str) -> Facts:
    change = {"at": _iso(WRITTEN), "type": "other", "object": {"kind": kind, "namespace": ns, "name": name},
              "summary": f"{kind} {ns}/{name} written", "diff": ["spec.schedule written by kubectl-edit"]}
    return Facts(at=AT, changes={"changes": [change]}, changes_id="E2")


def _cronjob(command: list[str], schedule: str = "*/20 * * * *") -> dict[str, Any]:
    return {"kind": "CronJob", "metadata": {"name": "edge-purge", "namespace": "platform"},
            "spec": {"schedule": schedule, "jobTemplate": {"spec": {"template": {"spec": {
                "containers": [{"name": "purge", "image": "curlimages/curl:8.9.1", "command": command}]}}}}}}


RUNS = [WRITTEN + timedelta(minutes=20 * i) for i in range(1, 6)]
JOBS = [{"name": f"edge-purge-{29000000 + i}", "namespace": "platform", "created": _iso(t)}
        for i, t in enumerate(RUNS)] + [{"name": "edge-purge-reports-1", "namespace": "platform",
                                         "created": _iso(RUNS[0])}]


def _dips(high: float, low: float, minutes: int = 3) -> Curve:
    """A ratio at `high` that falls to `low` for `minutes` after each run."""
    def curve(t: datetime) -> float:
        return low if any(timedelta(0) <= t - r < timedelta(minutes=minutes) for r in RUNS) else high
    return curve


CDN = ["curl", "-sf", "-X", "POST", "-H", "Fastly-Key: $(FASTLY_KEY)",
       "https://api.fastly.com/service/$(SERVICE_ID)/purge_all"]


def _run(facts: Facts, hub: Hub) -> None:
    asyncio.run(cache_flush.read(facts, hub))


def test_cronjob_purging_a_cdn_with_the_hit_rate_falling_at_each_run() -> None:
    facts = _facts("CronJob", "platform", "edge-purge")
    hub = Hub({("CronJob", "edge-purge"): _cronjob(CDN)}, JOBS,
              {"cache_hit": ({"service": "shop-edge"}, _dips(91.0, 8.0))})
    _run(facts, hub)
    [hit] = cache_flush.found(facts)
    message = cache_flush.finding(hit)["message"]
    assert message.startswith("CronJob platform/edge-purge runs a Fastly purge every 20 min (schedule */20 * * * *)")
    assert "whole cache" in message and "cache hit rate (service=shop-edge) drops from 91% to 8%" in message[:400]


def test_a_job_that_does_not_flush_is_not_named() -> None:
    facts = _facts("CronJob", "platform", "edge-purge")
    hub = Hub({("CronJob", "edge-purge"): _cronjob(["aws", "s3", "sync", "/build", "s3://assets/"])}, JOBS,
              {"cache_hit": ({"service": "shop-edge"}, _dips(91.0, 8.0))})
    _run(facts, hub)
    assert cache_flush.found(facts) == []


def test_a_flush_the_hit_rate_shrugs_off_is_not_named() -> None:
    facts = _facts("CronJob", "platform", "edge-purge")
    hub = Hub({("CronJob", "edge-purge"): _cronjob(CDN)}, JOBS,
              {"cache_hit": ({"service": "shop-edge"}, _dips(91.0, 84.0))})
    _run(facts, hub)
    assert cache_flush.found(facts) == []


def test_a_ratio_standing_low_between_runs_is_not_the_flush() -> None:
    def curve(t: datetime) -> float:
        return 90.0 if t < WRITTEN else 12.0  # uncacheable responses since the write's hour: not the runs

    facts = _facts("CronJob", "platform", "edge-purge")
    hub = Hub({("CronJob", "edge-purge"): _cronjob(CDN)}, JOBS, {"cache_hit": ({"service": "shop-edge"}, curve)})
    _run(facts, hub)
    assert cache_flush.found(facts) == []


def test_one_off_job_flushing_redis_with_the_keyspace_hit_ratio_falling() -> None:
    job = {"kind": "Job", "metadata": {"name": "reset-sessions", "namespace": "cart",
                                       "creationTimestamp": _iso(RUNS[2])},
           "spec": {"template": {"spec": {"containers": [{"name": "redis", "image": "redis:7.2", "command": [
               "sh", "-c", "redis-cli -h cart-redis.cart.svc -a \"$REDIS_PASSWORD\" FLUSHALL"]}]}}},
           "status": {"startTime": _iso(RUNS[2])}}
    change = {"at": _iso(RUNS[2]), "type": "created", "object": {"kind": "Job", "namespace": "cart",
                                                                  "name": "reset-sessions"},
              "summary": "Job cart/reset-sessions created", "diff": []}
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="E2")

    def ratio(t: datetime) -> float:
        return 0.05 if timedelta(0) <= t - RUNS[2] < timedelta(minutes=4) else 0.97

    _run(facts, Hub({("Job", "reset-sessions"): job}, [], {"redis": ({"instance": "cart-redis:9121"}, ratio)}))
    [hit] = cache_flush.found(facts)
    message = cache_flush.finding(hit)["message"]
    assert message.startswith("Job cart/reset-sessions runs a Redis FLUSHALL once")
    assert re.search(r"the Redis hit ratio \(instance=cart-redis:9121\) drops from 9\d% to 5% right after the run",
                     message)


def _flush(command: list[str]) -> cache_flush.Flush | None:
    return cache_flush.flush_of({"kind": "Job", "spec": {"template": {"spec": {"containers": [
        {"name": "c", "command": command}]}}}})


def test_other_tools_flush_commands() -> None:
    cf = _flush(["aws", "cloudfront", "create-invalidation", "--distribution-id", "E1", "--paths", "/*"])
    assert cf is not None and (cf.what, cf.scope, cf.whole) == ("CloudFront invalidation", "/*", True)
    narrow = _flush(["aws", "cloudfront", "create-invalidation", "--distribution-id", "E1", "--paths",
                     "/sitemap.xml"])
    assert narrow is not None and not narrow.whole
    gcp = _flush(["gcloud", "compute", "url-maps", "invalidate-cdn-cache", "web-map", "--path", "/*"])
    assert gcp is not None and gcp.tier == "CDN" and gcp.whole
    varnish = _flush(["varnishadm", "-T", "varnish:6082", "ban", "req.url", "~", "."])
    assert varnish is not None and varnish.what == "Varnish ban"
    assert _flush(["redis-cli", "-h", "cache", "INFO", "keyspace"]) is None
    assert _flush(["aws", "cloudfront", "get-distribution", "--id", "E1"]) is None
