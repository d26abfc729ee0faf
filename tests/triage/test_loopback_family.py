"""loopback_family: a rollout after which the workload's localhost calls go to ::1 and are refused.

Shapes: a Go service whose Redis sidecar listens on 127.0.0.1 (`dial tcp [::1]:6379: connect: connection
refused`); a JVM service calling a local tracing agent (`Connection refused: localhost/0:0:0:0:0:0:0:1:8126`).
Negative twins: refusals to 127.0.0.1 (not the family), refusals to another host, no image change in the write.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.toolhub import ToolOutcome
from agent.triage import loopback_family as lf
from agent.triage.facts import Facts
from agent.triage.subject import Subject

AT = datetime(2026, 10, 2, 11, 0, tzinfo=UTC)
NAMED = Subject(namespace="trade", names=["api"])
"""An incident about the rolled-out workload (its alert's label)."""


def _facts(log: str, diff: str = "api image reg.example/api:1.8.0 -> reg.example/api:1.9.0") -> tuple[Facts, Any]:
    change = {"at": (AT - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ"), "type": "rollout",
              "object": {"kind": "Deployment", "namespace": "trade", "name": "api"}, "summary": "rolled out",
              "diff": [diff], "related": []}
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="E2")

    async def call(tool: str, args: dict[str, Any], step: str) -> ToolOutcome:
        if tool == "k8s_list":
            return ToolOutcome(tool=tool, arguments=args, ok=True, evidence_id="E3", text="",
                               data={"rows": [{"name": "api-6f7d8c9b5-x2kqz"}, {"name": "web-5d6c7b8c9-p4wnr"}]})
        assert tool == "k8s_logs" and args["name"] == "api-6f7d8c9b5-x2kqz"
        return ToolOutcome(tool=tool, arguments=args, ok=True, data={}, text="", evidence_id="E4", full_text=log)

    asyncio.run(lf.read(NAMED, facts, call))
    return facts, call


GO_LOG = ("2026-10-02T10:31:02Z redis sidecar: Ready to accept connections, listening on 127.0.0.1:6379\n"
          "2026-10-02T10:31:05Z level=error msg=\"cache get\" "
          "err=\"dial tcp [::1]:6379: connect: connection refused\"\n")
JVM_LOG = ("2026-10-02 10:31:09 WARN  DDAgentWriter - Failed to send traces: java.net.ConnectException: Connection "
           "refused: localhost/0:0:0:0:0:0:0:1:8126\n")


def test_go_client_refused_on_the_ipv6_loopback_after_a_rollout_names_the_rollout() -> None:
    [hit] = lf.found(_facts(GO_LOG)[0])
    assert hit.target.name == "api" and "[::1]:6379" in hit.said and "127.0.0.1:6379" in hit.listener
    assert "::1" in lf.finding(hit)["message"]


def test_jvm_client_refused_on_the_ipv6_loopback_is_read_too() -> None:
    [hit] = lf.found(_facts(JVM_LOG)[0])
    assert "0:0:0:0:0:0:0:1:8126" in hit.said


def test_refusals_on_the_ipv4_loopback_are_not_this_class() -> None:
    log = "level=error err=\"dial tcp 127.0.0.1:6379: connect: connection refused\"\n"
    assert lf.found(_facts(log)[0]) == []


def test_refusals_to_another_host_are_not_this_class() -> None:
    log = "Error: connect ECONNREFUSED 10.4.2.9:5432\n"
    assert lf.found(_facts(log)[0]) == []


def test_a_write_with_no_image_change_is_not_read_or_named() -> None:
    assert lf.found(_facts(GO_LOG, diff="api env LOG_LEVEL 'info' -> 'debug'")[0]) == []


def test_a_pod_still_waiting_for_its_image_is_not_asked_for_a_log() -> None:
    """A rollout whose first pod never started (ImagePullBackOff, no restarts) has no log: asking for one is a
    failed call, not evidence, so the read skips it and takes the next pod of the workload that has run."""
    change = {"at": (AT - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ"), "type": "rollout",
              "object": {"kind": "Deployment", "namespace": "trade", "name": "api"}, "summary": "rolled out",
              "diff": ["api image reg.example/api:1.8.0 -> reg.example/api:1.9.0"], "related": []}
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="E2")
    asked: list[str] = []

    async def call(tool: str, args: dict[str, Any], step: str) -> ToolOutcome:
        if tool == "k8s_list":
            return ToolOutcome(tool=tool, arguments=args, ok=True, evidence_id="E3", text="",
                               data={"rows": [{"name": "api-6f7d8c9b5-x2kqz", "status": "ImagePullBackOff"},
                                              {"name": "api-7d8f9b6c5-r7tmv", "status": "Running"}]})
        asked.append(str(args["name"]))
        return ToolOutcome(tool=tool, arguments=args, ok=True, data={}, text="", evidence_id="E4", full_text=GO_LOG)

    asyncio.run(lf.read(NAMED, facts, call))
    assert asked == ["api-7d8f9b6c5-r7tmv"]
    assert [h.target.name for h in lf.found(facts)] == ["api"]


def _asked(subject: Subject, **more: Any) -> tuple[Facts, list[str]]:
    """The tools read() calls for a rollout of trade/api, given the incident's subject and what the survey holds."""
    change = {"at": (AT - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ"), "type": "rollout",
              "object": {"kind": "Deployment", "namespace": "trade", "name": "api"}, "summary": "rolled out",
              "diff": ["api image reg.example/api:1.8.0 -> reg.example/api:1.9.0"], "related": []}
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="E2", **more)
    asked: list[str] = []

    async def call(tool: str, args: dict[str, Any], step: str) -> ToolOutcome:
        asked.append(tool)
        if tool == "k8s_list":
            return ToolOutcome(tool=tool, arguments=args, ok=True, evidence_id="E3", text="",
                               data={"rows": [{"name": "api-6f7d8c9b5-x2kqz", "status": "Running"}]})
        return ToolOutcome(tool=tool, arguments=args, ok=True, data={}, text="", evidence_id="E4", full_text=GO_LOG)

    asyncio.run(lf.read(subject, facts, call))
    return facts, asked


def test_a_healthy_rollout_the_incident_does_not_point_at_is_not_read() -> None:
    """A release elsewhere in the window: the alert names another workload, the scan finds nothing failing on it,
    it is in no topology the survey read. Not even its pods are listed, and nothing is named."""
    facts, asked = _asked(Subject(namespace="trade", names=["checkout"]))
    assert asked == [] and lf.found(facts) == []


def test_a_rollout_whose_pods_the_scan_finds_failing_is_read() -> None:
    scan = {"findings": [{"check": "pod.restarting", "severity": "warning", "reason": "Error",
                          "object": {"kind": "Deployment", "namespace": "trade", "name": "api"},
                          "pods": ["api-6f7d8c9b5-x2kqz"]}]}
    facts, asked = _asked(Subject(namespace="trade", names=["checkout"]), scan=scan)
    assert asked == ["k8s_list", "k8s_logs"] and [h.target.name for h in lf.found(facts)] == ["api"]


def test_a_rollout_in_the_subject_topology_is_read() -> None:
    """The alert is on the caller (checkout); the rolled-out service is what it calls."""
    topology = {"subject": {"kind": "Deployment", "name": "checkout"}, "dependencies": [{"name": "api"}]}
    facts, asked = _asked(Subject(namespace="trade", names=["checkout"]), topologies=[(topology, "E5")])
    assert asked == ["k8s_list", "k8s_logs"] and [h.target.name for h in lf.found(facts)] == ["api"]


# ---- the class in other runtimes' words (issue #12 audit): the address before the refusal, errno numbers ----

LIBPQ_LOG = ("2026-10-02 10:31:04 UTC [worker] ERROR: sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) "
             "connection to server at \"localhost\" (::1), port 5432 failed: Connection refused\n")
RUBY_LOG = ("E, [2026-10-02T10:31:06] ERROR -- : Errno::ECONNREFUSED: Failed to open TCP connection to ::1:9292 "
            "(Connection refused - connect(2) for \"::1\" port 9292)\n")
ASYNCIO_LOG = ("2026-10-02 10:31:08,114 ERROR pool: ConnectionRefusedError: [Errno 111] Connect call failed "
               "('::1', 6432, 0, 0)\n")


def test_libpq_prints_the_ipv6_loopback_before_the_refusal() -> None:
    [hit] = lf.found(_facts(LIBPQ_LOG)[0])
    assert "(::1), port 5432" in hit.said


def test_ruby_and_python_asyncio_refusals_to_the_ipv6_loopback_are_read() -> None:
    [ruby] = lf.found(_facts(RUBY_LOG)[0])
    [python] = lf.found(_facts(ASYNCIO_LOG)[0])
    assert "::1:9292" in ruby.said and "('::1', 6432" in python.said


def test_twin_libpq_timeout_on_the_ipv6_loopback_is_no_refusal() -> None:
    log = LIBPQ_LOG.replace("Connection refused", "timeout expired")
    assert lf.found(_facts(log)[0]) == []


def test_twin_asyncio_errno_110_is_a_timeout_not_a_refusal() -> None:
    log = ASYNCIO_LOG.replace("ConnectionRefusedError: [Errno 111]", "TimeoutError: [Errno 110]")
    assert lf.found(_facts(log)[0]) == []


def test_twin_both_loopbacks_refused_means_the_peer_is_down_not_the_family() -> None:
    log = ("2026-10-02 10:31:08,114 ERROR OSError: Multiple exceptions: [Errno 111] Connect call failed "
           "('::1', 6432, 0, 0), [Errno 111] Connect call failed ('127.0.0.1', 6432)\n")
    node = "Error: connect ECONNREFUSED ::1:5432, connect ECONNREFUSED 127.0.0.1:5432 (AggregateError)\n"
    assert lf.found(_facts(log)[0]) == [] and lf.found(_facts(node)[0]) == []


def test_twin_a_link_local_address_ending_in_1_is_not_the_loopback() -> None:
    log = "2026-10-02 10:31:08 WARN dial fe80::1%eth0 port 9292: connect: connection refused\n"
    assert lf.found(_facts(log)[0]) == []
