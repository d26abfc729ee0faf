"""agent.triage.costly_setting: a recent change that made each request cost more is blamed for callers' timeouts.

Facts are shaped as the survey keeps them: the change timeline (`k8s_changes` changes), objects read with
`k8s_get` (a StatefulSet, a ConfigMap) and log evidence of a caller that times out.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agent.triage import costly_setting
from agent.triage.facts import Facts, LogEvidence, Ref

_AT = datetime(2026, 12, 1, 20, tzinfo=UTC)
_TIMEOUT = "io.lettuce.core.RedisCommandTimeoutException: Command timed out after 500 millisecond(s)"


def _log(message: str) -> LogEvidence:
    return LogEvidence(pod="cart-7d9f8c6b5-q2w4z", namespace="shop", evidence_id="E4", top={"message": message},
                       hosts=[], error_classes=set(), previous=False)


def _change(kind: str, name: str, minutes: int, summary: str, diff: list[str]) -> dict[str, Any]:
    return {"at": (_AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ"), "type": "rollout",
            "object": {"kind": kind, "namespace": "shop", "name": name}, "summary": summary, "diff": diff}


def _workload(kind: str, name: str, args: list[str], env: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"kind": kind, "metadata": {"name": name, "namespace": "shop"},
            "spec": {"template": {"spec": {"containers": [{"name": name, "args": args, "env": env or []}]}}}}


def _facts(log: LogEvidence, changes: list[dict[str, Any]], *objects: dict[str, Any]) -> Facts:
    facts = Facts(at=_AT, logs=[log], changes={"changes": changes}, changes_id="E2")
    facts.objects += [(o, "E9") for o in objects]
    return facts


_RECREATED = "StatefulSet shop/cache: all 1 pods recreated (a restart or an update with no visible revision)"
_REDIS = ["redis-server", "--appendonly", "yes", "--appendfsync", "always"]


def test_redis_fsync_always_after_a_recreate_is_the_suspect() -> None:
    facts = _facts(_log(_TIMEOUT), [_change("StatefulSet", "cache", 300, _RECREATED, ["pods recreated"])],
                   _workload("StatefulSet", "cache", _REDIS))
    [found] = costly_setting.found(facts)
    assert found.target == Ref("StatefulSet", "shop", "cache") and found.minutes_before == 300
    message = costly_setting.finding(found)["message"]
    assert message.startswith("StatefulSet shop/cache container cache args sets appendfsync always (AOF fsync")
    assert "RedisCommandTimeoutException" in message


def test_a_log4j2_root_level_debug_written_in_a_configmap_is_the_suspect() -> None:
    cm = {"kind": "ConfigMap", "metadata": {"name": "search-logging", "namespace": "shop"},
          "data": {"log4j2.xml": '<Configuration monitorInterval="30"><Loggers><Root level="DEBUG"/></Loggers>'
                                 "</Configuration>"}}
    change = {**_change("ConfigMap", "search-logging", 30, "ConfigMap written", ["data key log4j2.xml set by kubectl"]),
              "type": "configmap"}
    [found] = costly_setting.found(_facts(_log('"GET /search HTTP/1.1" 504 UT response_timeout'), [change], cm))
    assert found.target.name == "search-logging" and found.where == "key log4j2.xml"
    assert "DEBUG" in costly_setting.finding(found)["message"]


@pytest.mark.parametrize("args", [["redis-server", "--appendfsync", "everysec"], ["postgres", "-c", "log_level=INFO"]])
def test_a_cheap_setting_is_no_suspect(args: list[str]) -> None:
    facts = _facts(_log(_TIMEOUT), [_change("StatefulSet", "cache", 60, _RECREATED, [])],
                   _workload("StatefulSet", "cache", args))
    assert costly_setting.found(facts) == []


def test_a_costly_setting_the_change_did_not_write_is_no_suspect() -> None:
    image_bump = _change("Deployment", "api", 60, "Deployment shop/api rolled out revision 4: image a:1 -> a:2",
                         ["api image a:1 -> a:2"])
    facts = _facts(_log(_TIMEOUT), [image_bump], _workload("Deployment", "api", [], [{"name": "LOG_LEVEL",
                                                                                       "value": "DEBUG"}]))
    assert costly_setting.found(facts) == []


def test_an_old_change_or_no_timeout_names_nothing() -> None:
    old = _facts(_log(_TIMEOUT), [_change("StatefulSet", "cache", 20 * 60, _RECREATED, [])],
                 _workload("StatefulSet", "cache", _REDIS))
    assert costly_setting.found(old) == []
    calm = _facts(_log("NullPointerException"), [_change("StatefulSet", "cache", 60, _RECREATED, [])],
                  _workload("StatefulSet", "cache", _REDIS))
    assert costly_setting.found(calm) == []


def test_slow_requests_without_a_timeout_count_as_the_callers_symptom() -> None:
    pino = '{"level":40,"req":{"method":"POST","url":"/checkout"},"res":{"statusCode":200},"responseTime":2870}'
    facts = _facts(_log(pino), [_change("StatefulSet", "cache", 90, _RECREATED, [])],
                   _workload("StatefulSet", "cache", _REDIS))
    [found] = costly_setting.found(facts)
    assert found.target.name == "cache" and "responseTime" in costly_setting.finding(found)["message"]
    pg = {"kind": "ConfigMap", "metadata": {"name": "ledger-pg", "namespace": "shop"},
          "data": {"postgresql.conf": "synchronous_commit = remote_apply\nmax_connections = 200"}}
    change = {**_change("ConfigMap", "ledger-pg", 45, "ConfigMap written", ["data key postgresql.conf set"]),
              "type": "configmap"}
    go = 'level=warn msg="request served" path=/ledger/entries status=200 latency=2.41s'
    [found] = costly_setting.found(_facts(_log(go), [change], pg))
    assert found.target.name == "ledger-pg" and "remote_apply" in found.said


def test_twin_fast_requests_name_nothing() -> None:
    fast = '{"level":30,"req":{"method":"POST","url":"/checkout"},"res":{"statusCode":200},"responseTime":41}'
    facts = _facts(_log(fast), [_change("StatefulSet", "cache", 90, _RECREATED, [])],
                   _workload("StatefulSet", "cache", _REDIS))
    assert costly_setting.found(facts) == []
    quick = 'level=info msg="request served" path=/ledger/entries status=200 latency=0.31s took 12ms'
    assert costly_setting.found(_facts(_log(quick), [_change("StatefulSet", "cache", 90, _RECREATED, [])],
                                       _workload("StatefulSet", "cache", _REDIS))) == []
