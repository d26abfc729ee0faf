"""A coordination server's tick written far below its default caps its clients' sessions, which then expire
(agent.triage.timing_tight, the ZooKeeper family's session words).

Written here, not taken from the held-out bundles. Shapes: a search cluster's Solr nodes saying in their own
wording that their ZooKeeper session was expired, next to a ZooKeeper StatefulSet whose `ZOO_TICK_TIME` was cut;
a Confluent-style ZooKeeper (`ZOOKEEPER_TICK_TIME`) whose own session tracker logs its expiries at INFO level (only
in the last lines, no error entry). Negative twins: the same client words under the default tick; a tight tick
next to a web app's "user session expired" line that names no coordination software; the client's words in
another namespace.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from agent.triage import timing_tight as tt
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.test_timing_tight import AT, Hub, _iso, _workload

SOLR = ("2026-09-09 03:11:02.114 WARN  (zkConnectionManagerCallback-8-thread-1) [   ] o.a.s.c.c.ConnectionManager "
        "Our previous ZooKeeper session was expired. Attempting to reconnect to recover relationship with ZooKeeper")
TRACKER = ("2026-09-09 03:12:10,551 [myid:2] - INFO  [SessionTracker:o.a.z.s.SessionTrackerImpl@164] - Expiring "
           "session 0x2a0000b17c0001, timeout of 6000ms exceeded")
WEB = "session expired for user u-1842, redirecting to /login"


def _client(pod: str, ns: str, line: str, *, as_error: bool = True) -> LogEvidence:
    top = {"example": line, "severity": "warning"} if as_error else None
    return LogEvidence(pod=pod, namespace=ns, evidence_id="E7", top=top, hosts=[], error_classes=set(),
                       previous=False, last_lines=[] if as_error else [line])


def _found(workload: dict[str, object], subject_pod: str, logs: list[LogEvidence]) -> list[tt.Tight]:
    ns = str(workload["metadata"]["namespace"])  # type: ignore[index]
    facts = Facts(at=AT, changes={"changes": []}, changes_id="E2")
    facts.logs.extend(logs)
    asyncio.run(tt.read(Subject(namespace=ns, pods=[subject_pod]), facts, Hub(workload, None), _iso(AT)))  # type: ignore[arg-type]
    return tt.found(facts)


def _zk(env: dict[str, str], ns: str = "search", image: str = "docker.io/library/zookeeper:3.9.2") -> dict[str, object]:
    return _workload("StatefulSet", ns, "coord", image, env, written=timedelta(hours=2))


def test_a_cut_tick_with_a_client_saying_its_zookeeper_session_expired_is_named() -> None:
    found = _found(_zk({"ZOO_TICK_TIME": "250"}), "coord-1", [_client("solr-2", "search", SOLR)])
    assert [t.target.name for t in found] == ["coord"]
    message = tt.finding(found[0])["message"]
    assert "ZOO_TICK_TIME=250" in message and "maxSessionTimeout" in message
    assert "its clients log" in message and "session was expired" in message


def test_a_cut_tick_with_the_servers_own_info_expiries_is_named() -> None:
    zk = _zk({"ZOOKEEPER_TICK_TIME": "300"}, ns="streams", image="confluentinc/cp-zookeeper:7.6.1")
    found = _found(zk, "coord-0", [_client("coord-0", "streams", TRACKER, as_error=False)])
    assert [t.target.name for t in found] == ["coord"]
    message = tt.finding(found[0])["message"]
    assert "its members log" in message and "Expiring session" in message


def test_client_expiries_under_the_default_tick_do_not_name_it() -> None:
    assert _found(_zk({"ZOO_TICK_TIME": "2000"}), "coord-1", [_client("solr-2", "search", SOLR)]) == []


def test_a_web_session_expiry_naming_no_coordination_software_does_not_name_a_tight_tick() -> None:
    assert _found(_zk({"ZOO_TICK_TIME": "250"}), "coord-1", [_client("web-7d9f-x2", "search", WEB)]) == []


def test_client_words_in_another_namespace_do_not_name_it() -> None:
    assert _found(_zk({"ZOO_TICK_TIME": "250"}), "coord-1", [_client("solr-2", "other", SOLR)]) == []
