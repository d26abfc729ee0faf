"""cache_flush against flush commands it was not built from (issue #12: build for the class).

Shapes: a CronJob running Laravel's `php artisan cache:clear` (the app's Redis store emptied, confirmed end to end
by redis_exporter's keyspace hit ratio falling at each run); Valkey's and KeyDB's CLIs (`valkey-cli FLUSHALL`),
libmemcached's `memcflush`, Symfony's `cache:pool:clear`, Rails' `Rails.cache.clear`, Django's `cache.clear()`
read as flushes. Twins: framework commands that rebuild compiled caches and leave the data store alone
(`artisan config:cache`, `artisan view:clear`), a Valkey CLI that only reads (`DBSIZE`), and the artisan flush
whose runs the hit ratio shrugs off.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from agent.triage import cache_flush
from tests.triage.test_cache_flush import JOBS, RUNS, Hub, _facts, _flush, _run


def _artisan(args: list[str]) -> dict[str, Any]:
    return {"kind": "CronJob", "metadata": {"name": "edge-purge", "namespace": "platform"},
            "spec": {"schedule": "*/20 * * * *", "jobTemplate": {"spec": {"template": {"spec": {"containers": [
                {"name": "artisan", "image": "registry.local/storefront:5.2", "command": ["php", "artisan"],
                 "args": args}]}}}}}}


def _ratio(high: float, low: float) -> Any:
    def curve(t: datetime) -> float:
        return low if any(timedelta(0) <= t - r < timedelta(minutes=3) for r in RUNS) else high
    return curve


def test_laravel_cache_clear_on_a_schedule_is_named_by_the_redis_hit_ratio() -> None:
    facts = _facts("CronJob", "platform", "edge-purge")
    hub = Hub({("CronJob", "edge-purge"): _artisan(["cache:clear"])}, JOBS,
              {"redis": ({"instance": "store-redis:9121"}, _ratio(0.95, 0.04))})
    _run(facts, hub)
    [hit] = cache_flush.found(facts)
    assert hit.flush.what == "framework cache clear" and hit.flush.whole
    message = cache_flush.finding(hit)["message"]
    assert message.startswith("CronJob platform/edge-purge runs a framework cache clear every 20 min")
    assert "Redis hit ratio (instance=store-redis:9121)" in message[:400]


def test_laravel_cache_clear_the_hit_ratio_shrugs_off_is_not_named() -> None:
    facts = _facts("CronJob", "platform", "edge-purge")
    hub = Hub({("CronJob", "edge-purge"): _artisan(["cache:clear"])}, JOBS,
              {"redis": ({"instance": "store-redis:9121"}, _ratio(0.95, 0.9))})
    _run(facts, hub)
    assert cache_flush.found(facts) == []


def test_other_stores_and_frameworks_flush_commands() -> None:
    for command, what in [(["valkey-cli", "-h", "sessions", "FLUSHALL", "ASYNC"], "Valkey/KeyDB FLUSHALL"),
                          (["keydb-cli", "-h", "sessions", "flushdb"], "Valkey/KeyDB FLUSHALL"),
                          (["memcflush", "--servers=memcached-0.memcached:11211"], "memcached flush_all"),
                          (["bin/console", "cache:pool:clear", "cache.app"], "framework cache clear"),
                          (["bin/rails", "runner", "Rails.cache.clear"], "framework cache clear"),
                          (["python", "-c", "from django.core.cache import cache; cache.clear()"],
                           "framework cache clear")]:
        got = _flush(command)
        assert got is not None and got.what == what, command
    assert (_flush(["memcflush", "--servers=m:11211"]) or cache_flush.Flush("", "", "", False)).whole


def test_commands_that_leave_the_data_cache_alone_are_no_flush() -> None:
    assert _flush(["php", "artisan", "config:cache"]) is None
    assert _flush(["php", "artisan", "view:clear"]) is None
    assert _flush(["valkey-cli", "-h", "sessions", "DBSIZE"]) is None
