"""agent.triage.time_source: a time-sync write after which the daemon can no longer discipline the clock (refused
the kernel's clock calls), the node clocks free-running for hours before time checks fail.

Written here, not taken from the held-out bundles. Shapes: a chrony DaemonSet whose capabilities lost SYS_TIME a
day ago, its crashed instance's log already read by the survey, one node's gauge 95 s off and a billing client's
S3 uploads refused for request time skew; an ntpd DaemonSet written 30 h ago whose current container waits to
restart (its crashed instance read here) while a client's Kerberos logins fail for clock skew, no gauges. Twins:
the same old chrony write with a daemon that keeps working; the refused daemon while no clock moved and no client
fails; a log shipper DaemonSet refused a file next to a skewed node (not a time daemon); a daemon refused since
before the write.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.toolhub import ToolOutcome
from agent.triage import time_source
from agent.triage.facts import Facts, LogEvidence, Ref
from agent.triage.subject import Subject
from tests.triage.doubles import Call, RecordingHub, outcome

AT = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
S3 = ("software.amazon.awssdk.services.s3.model.S3Exception: The difference between the request time and the "
      "current time is too large. (Service: S3, Status Code: 403)")
KRB = "javax.security.auth.login.LoginException: Clock skew too great (37) - PROCESS_TGS"
CHRONY_REFUSED = "Fatal error : adjtimex(0x8001) failed : Operation not permitted"


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def rollout(ns: str, name: str, hours_before: float, diff: str) -> dict[str, Any]:
    return {"at": iso(AT - timedelta(hours=hours_before)), "type": "rollout",
            "object": {"kind": "DaemonSet", "namespace": ns, "name": name},
            "summary": f"DaemonSet {ns}/{name} rolled out revision 2", "diff": [diff], "related": []}


CHRONY = rollout("clock", "chrony", 20, "chrony securityContext.capabilities.add ['SYS_TIME'] -> unset")
NTPD = rollout("infra", "ntpd", 30, "ntpd securityContext.capabilities ['SYS_TIME'] -> drop ['ALL']")


def log(pod: str, namespace: str, line: str) -> LogEvidence:
    return LogEvidence(pod=pod, namespace=namespace, evidence_id=f"L-{pod}",
                       top={"message": line, "severity": "error"}, hosts=[], error_classes=set(), previous=False)


def gauge(node: str, offset: float) -> tuple[dict[str, Any], str]:
    return {"samples": [{"labels": {"__name__": "node_timex_offset_seconds", "node": node}, "value": offset}]}, "M1"


class Hub(RecordingHub):
    """Pods listed; a daemon pod's current container waits to restart, its previous instance has lines."""

    def __init__(self, pods: list[dict[str, str]], previous: dict[str, list[str]]) -> None:
        super().__init__(objects={}, lists={"Pod": pods}, logs={})
        self.previous = previous

    def answer(self, call: Call, eid: str) -> ToolOutcome | None:
        if call.tool == "k8s_logs" and str(call.args.get("name")) in self.previous:
            if not call.args.get("previous"):
                return outcome(False, None, "container is waiting to start: back-off 5m0s", eid)
            return outcome(True, {}, "\n".join(self.previous[str(call.args["name"])]), eid)
        return super().answer(call, eid)


def run(changes: list[dict[str, Any]], logs: list[LogEvidence], metrics: list[tuple[dict[str, Any], str]],
        hub: RecordingHub | None = None) -> Facts:
    facts = Facts(at=AT, changes_id="C1", changes={"changes": changes})
    facts.logs, facts.metrics = list(logs), list(metrics)
    asyncio.run(time_source.read(Subject(names=["billing"]), facts,
                                 hub or RecordingHub(objects={}, lists={"Pod": []}, logs={}), iso(AT)))
    return facts


def test_a_chrony_daemonset_that_lost_its_clock_capability_is_named_with_the_drift() -> None:
    facts = run([CHRONY], [log("chrony-k2x9p", "clock", CHRONY_REFUSED), log("billing-6d8f9c7b5-x2k4q", "billing", S3)],
                [gauge("node-b", 95.2)])
    [(ref, finding, evidence, explains)] = time_source.suspects(facts)
    assert ref == Ref("DaemonSet", "clock", "chrony")
    message = finding["message"]
    assert "adjtimex" in message and "SYS_TIME" in message and "node-b: 95.2 s ahead" in message
    assert "request time" in message and explains == [Ref("", "billing", "billing")]
    assert "L-chrony-k2x9p" in evidence


def test_an_ntpd_daemonset_refused_the_clock_is_named_from_its_crashed_instance() -> None:
    hub = Hub([{"name": "ntpd-q9w4r", "namespace": "infra", "phase": "Running"}],
              {"ntpd-q9w4r": [f"{iso(AT - timedelta(minutes=3))} ntpd[1]: ntp_adjtime() failed: "
                              "Operation not permitted"]})
    facts = run([NTPD], [log("ledger-5f7c9d8b6-abcde", "billing", KRB)], [], hub)
    [(ref, finding, _, _)] = time_source.suspects(facts)
    assert ref == Ref("DaemonSet", "infra", "ntpd")
    assert "ntp_adjtime() failed" in finding["message"] and "Clock skew too great" in finding["message"]
    assert "survey-time-source-daemon-previous-ntpd-q9w4r" in hub.steps


def test_an_old_time_write_whose_daemon_keeps_working_is_not_named() -> None:
    facts = run([CHRONY], [log("chrony-k2x9p", "clock", "Selected source 169.254.169.123"),
                           log("billing-6d8f9c7b5-x2k4q", "billing", S3)], [gauge("node-b", 95.2)])
    assert time_source.suspects(facts) == []


def test_a_refused_daemon_while_no_clock_moved_and_no_client_fails_is_not_named() -> None:
    hub = Hub([{"name": "ntpd-q9w4r", "namespace": "infra", "phase": "Running"}],
              {"ntpd-q9w4r": [f"{iso(AT - timedelta(minutes=3))} ntpd[1]: ntp_adjtime() failed: "
                              "Operation not permitted"]})
    quiet = log("ledger-5f7c9d8b6-abcde", "billing", "level=error msg=timeout calling ledger-db")
    facts = run([NTPD], [quiet], [], hub)
    assert time_source.suspects(facts) == []


def test_a_log_shipper_refused_a_file_next_to_a_skewed_node_is_not_named() -> None:
    shipper = rollout("logging", "fluent-bit", 20, "fluent-bit securityContext.runAsUser unset -> 1000")
    facts = run([shipper], [log("fluent-bit-4m2zq", "logging", "[error] open /var/log/containers: permission denied"),
                            log("billing-6d8f9c7b5-x2k4q", "billing", S3)], [gauge("node-b", 95.2)])
    assert time_source.suspects(facts) == []


def test_a_daemon_refused_since_before_the_write_is_not_named() -> None:
    before = f"{iso(AT - timedelta(hours=40))} {CHRONY_REFUSED}"
    facts = run([CHRONY], [log("chrony-k2x9p", "clock", before), log("billing-6d8f9c7b5-x2k4q", "billing", S3)],
                [gauge("node-b", 95.2)])
    assert time_source.suspects(facts) == []
