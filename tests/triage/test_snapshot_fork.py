"""agent.triage.snapshot_fork: a write that switched fork-based snapshots on is blamed for its callers' timeouts.

Facts are shaped as the survey keeps them: the change timeline (`k8s_changes` changes with their diff lines) and the
log evidence of a caller. Each shape uses another product and another client's wording; each has a twin that looks
the same and must name nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import snapshot_fork
from agent.triage.facts import Facts, LogEvidence, Ref

_AT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def _log(message: str, first_minutes: int | None = None) -> LogEvidence:
    top: dict[str, Any] = {"message": message}
    if first_minutes is not None:
        top["first_seen"] = (_AT - timedelta(minutes=first_minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return LogEvidence(pod="sessions-api-6c9d7f-4xk2p", namespace="web", evidence_id="E5", top=top, hosts=[],
                       error_classes=set(), previous=False)


def _change(kind: str, name: str, minutes: int, diff: list[str]) -> dict[str, Any]:
    return {"at": (_AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ"), "type": "config",
            "object": {"kind": kind, "namespace": "kv", "name": name}, "summary": f"{kind} kv/{name} written",
            "diff": diff}


def _facts(log: LogEvidence, *changes: dict[str, Any]) -> Facts:
    return Facts(at=_AT, logs=[log], changes={"changes": list(changes)}, changes_id="E2")


_LETTUCE = "io.lettuce.core.RedisCommandTimeoutException: Command timed out after 1 second(s)"
_PY = "redis.exceptions.TimeoutError: Timeout reading from socket"


def test_a_valkey_config_file_given_a_save_schedule_is_the_suspect() -> None:
    cm = _change("ConfigMap", "valkey-conf", 95, ['data valkey.conf: save "" -> save 300 10 60 5000'])
    facts = _facts(_log(_LETTUCE), cm)
    facts.reads[snapshot_fork.READS] = {"peaks": [("redis_latest_fork_usec", 640000.0)], "evidence": "E8"}
    [found] = snapshot_fork.found(facts)
    assert found.target == Ref("ConfigMap", "kv", "valkey-conf") and found.said == "save 300 10 60 5000"
    message = snapshot_fork.finding(found)["message"]
    assert message.startswith("ConfigMap kv/valkey-conf switched on fork-based snapshots (save 300 10 60 5000)")
    assert "RedisCommandTimeoutException" in message and "fork of 640 ms" in message
    assert found.evidence == ["E2", "E5", "E8"]


def test_twin_a_config_file_that_turns_snapshots_off_names_nothing() -> None:
    cm = _change("ConfigMap", "valkey-conf", 95, ['data valkey.conf: save 300 10 60 5000 -> save ""'])
    assert snapshot_fork.found(_facts(_log(_LETTUCE), cm)) == []


def test_keydb_args_given_a_save_schedule_with_python_timeouts_is_the_suspect() -> None:
    sts = _change("StatefulSet", "keydb", 40, ["keydb args ['--maxmemory', '30gb', '--save', ''] -> "
                                                "['--maxmemory', '30gb', '--save', '900 1 300 10']"])
    [found] = snapshot_fork.found(_facts(_log(_PY), sts))
    assert found.target == Ref("StatefulSet", "kv", "keydb") and found.said == "save 900 1 300 10"
    assert found.fork_ms is None and "fork" in snapshot_fork.finding(found)["message"]


def test_twin_timeouts_that_began_before_the_write_name_nothing() -> None:
    sts = _change("StatefulSet", "keydb", 40, ["keydb args ['--save', ''] -> ['--save', '900 1']"])
    assert snapshot_fork.found(_facts(_log(_PY, first_minutes=300), sts)) == []
    assert len(snapshot_fork.found(_facts(_log(_PY, first_minutes=39), sts))) == 1


def test_twin_an_image_bump_of_a_store_long_run_with_snapshots_names_nothing() -> None:
    bump = _change("StatefulSet", "keydb", 40, ["keydb image eqalpha/keydb:6.3.3 -> eqalpha/keydb:6.3.4"])
    assert snapshot_fork.found(_facts(_log(_PY), bump)) == []


def test_a_job_that_now_forces_a_snapshot_every_minute_is_the_suspect() -> None:
    job = _change("CronJob", "cache-snapshot", 70, ["snapshot command ['redis-cli', '-h', 'cache', 'LASTSAVE'] -> "
                                                     "['redis-cli', '-h', 'cache', 'BGSAVE']"])
    node = "Error: Command timed out (ioredis) while running GET session:9f2"
    [found] = snapshot_fork.found(_facts(_log(node), job))
    assert found.target == Ref("CronJob", "kv", "cache-snapshot") and found.said == "BGSAVE"


def test_twin_the_same_job_with_callers_that_do_not_time_out_names_nothing() -> None:
    job = _change("CronJob", "cache-snapshot", 70, ["snapshot command ['redis-cli', 'LASTSAVE'] -> "
                                                     "['redis-cli', 'BGSAVE']"])
    assert snapshot_fork.found(_facts(_log("TypeError: Cannot read properties of undefined (reading 'id')"),
                                      job)) == []


def test_twin_a_write_made_before_the_window_names_nothing() -> None:
    old = _change("ConfigMap", "valkey-conf", 20 * 60, ['data valkey.conf: save "" -> save 60 1000'])
    assert snapshot_fork.found(_facts(_log(_LETTUCE), old)) == []


def test_fork_ms_reads_seconds_and_microseconds() -> None:
    facts = _facts(_log(_LETTUCE))
    facts.reads[snapshot_fork.READS] = {"peaks": [("valkey_latest_fork_seconds", 0.45),
                                                  ("redis_latest_fork_usec", 120000.0)], "evidence": "E9"}
    assert snapshot_fork.fork_ms(facts) == (450.0, "E9")


# The append-only file is fork-based persistence too (issue #12): switching it on forks at once and at each
# automatic rewrite. Both shapes failed before the link read it; twins keep or turn it off.
_JEDIS = "redis.clients.jedis.exceptions.JedisConnectionException: java.net.SocketTimeoutException: Read timed out"
_GO = "redis: i/o timeout: read tcp 10.4.1.7:51514->10.4.2.9:6379: i/o timeout"


def test_redis_args_switching_the_append_only_file_on_with_jedis_timeouts_is_the_suspect() -> None:
    sts = _change("StatefulSet", "sessions-redis", 30, ["redis args ['--appendonly', 'no'] -> ['--appendonly', 'yes']"])
    [found] = snapshot_fork.found(_facts(_log(_JEDIS, first_minutes=25), sts))
    assert found.target == Ref("StatefulSet", "kv", "sessions-redis") and "appendonly" in found.said


def test_twin_redis_args_switching_the_append_only_file_off_names_nothing() -> None:
    sts = _change("StatefulSet", "sessions-redis", 30, ["redis args ['--appendonly', 'yes'] -> ['--appendonly', 'no']"])
    assert snapshot_fork.found(_facts(_log(_JEDIS, first_minutes=25), sts)) == []


def test_a_valkey_config_file_switching_the_append_only_file_on_with_go_timeouts_is_the_suspect() -> None:
    cm = _change("ConfigMap", "cache-conf", 60, ["data valkey.conf: appendonly no -> appendonly yes"])
    [found] = snapshot_fork.found(_facts(_log(_GO, first_minutes=50), cm))
    assert found.target == Ref("ConfigMap", "kv", "cache-conf")


def test_twin_a_config_file_that_keeps_the_append_only_file_on_names_nothing() -> None:
    cm = _change("ConfigMap", "cache-conf", 60, ["data valkey.conf: appendonly yes -> appendonly yes\nmaxmemory 8gb"])
    assert snapshot_fork.found(_facts(_log(_GO, first_minutes=50), cm)) == []
