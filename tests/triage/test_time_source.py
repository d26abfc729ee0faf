"""agent.triage.time_source: a time-sync configuration written just before the clocks moved.

Shapes: a chrony.conf ConfigMap (mounted by a chrony DaemonSet) pointed at a wrong server, chronyd then stepping
the clock an hour, and the client's S3 uploads refused for request time skew (its logs already read by the
survey); an ntpd DaemonSet whose NTP server env was rewritten, no step logged, and the clients (read here, found
by the incident's words) rejecting JWTs issued in the future. Twins: a time-sync write after which the daemon kept
the clock within a second and nothing failed a time check; a non-time ConfigMap written before the same failures;
a time-sync write made after the daemon had stepped and the clients had failed (an attempted fix).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import time_source
from agent.triage.facts import Facts, LogEvidence, Ref
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
S3 = ("software.amazon.awssdk.services.s3.model.S3Exception: The difference between the request time and the "
      "current time is too large. (Service: S3, Status Code: 403)")
JWT = 'msg="token rejected" err="token has invalid claims: token used before issued"'


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def stamp(minutes_before: int, text: str) -> str:
    return f"{iso(AT - timedelta(minutes=minutes_before))} {text}"


def write(kind: str, name: str, minutes_before: int, diff: str, related: list[dict[str, str]]) -> dict[str, Any]:
    return {"at": iso(AT - timedelta(minutes=minutes_before)), "type": "config",
            "object": {"kind": kind, "namespace": "kube-system", "name": name},
            "summary": f"{kind} kube-system/{name} updated by kubectl-edit", "diff": [diff], "related": related}


CHRONY_WRITE = write("ConfigMap", "timesync-settings", 40, "data key chrony.conf set by kubectl-edit",
                     [{"kind": "DaemonSet", "namespace": "kube-system", "name": "chrony"}])
CHRONY_MAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "timesync-settings",
                                                                   "namespace": "kube-system"},
              "data": {"chrony.conf": "server ntp.wrong.example iburst\ndriftfile /var/lib/chrony/drift\n"
                                      "makestep 1.0 -1\n"}}
PODS = [{"name": "chrony-x7k2p", "namespace": "kube-system", "phase": "Running"},
        {"name": "ntpd-q9w4r", "namespace": "kube-system", "phase": "Running"},
        {"name": "billing-gateway-6d8f9c7b5-x2k4q", "namespace": "billing", "phase": "Running"},
        {"name": "unrelated-7c9d8b6f5-zzzzz", "namespace": "web", "phase": "Running"}]


def log(pod: str, namespace: str, line: str) -> LogEvidence:
    return LogEvidence(pod=pod, namespace=namespace, evidence_id="L1",
                       top={"message": line, "severity": "error"}, hosts=[], error_classes=set(), previous=False)


def run(changes: list[dict[str, Any]], logs: dict[str, list[str]], *, read_logs: list[LogEvidence] | None = None,
        objects: dict[Any, Any] | None = None) -> tuple[Facts, RecordingHub]:
    facts = Facts(at=AT, changes_id="C1")
    facts.changes = {"changes": changes}
    facts.logs = list(read_logs or [])
    hub = RecordingHub(objects=objects or {}, lists={"Pod": PODS}, logs=logs)
    asyncio.run(time_source.read(Subject(names=["billing"]), facts, hub, iso(AT)))
    return facts, hub


def test_a_chrony_config_write_that_stepped_the_clock_names_the_configmap() -> None:
    facts, hub = run([CHRONY_WRITE], {"chrony-x7k2p": [
        stamp(300, "chronyd[1]: Selected source 169.254.169.123"),
        stamp(38, "chronyd[1]: System clock wrong by 3600.2 seconds"),
        stamp(38, "chronyd[1]: System clock was stepped by 3600.2 seconds")]},
        read_logs=[log("billing-gateway-6d8f9c7b5-x2k4q", "billing", S3)],
        objects={("ConfigMap", "kube-system", "timesync-settings"): CHRONY_MAP})
    [(ref, finding, evidence, explains)] = time_source.suspects(facts)
    assert ref == Ref("ConfigMap", "kube-system", "timesync-settings")
    head = finding["message"][:400]
    assert "chrony/NTP" in head and "clock" in head and "server ntp.wrong.example" in head and "3600 s" in head
    assert "request time" in finding["message"]
    assert explains == [Ref("", "billing", "billing-gateway")]
    assert "L1" in evidence
    assert "survey-time-source-client-billing-gateway-6d8f9c7b5-x2k4q" not in hub.steps  # already read


def test_an_ntpd_daemonset_env_write_is_named_by_its_clients_time_checks() -> None:
    ds = write("DaemonSet", "ntpd", 25, "env NTP_SERVERS '169.254.169.123' -> 'ntp.lab.example'", [])
    facts, hub = run([ds], {"billing-gateway-6d8f9c7b5-x2k4q": [stamp(60, "level=info msg=ok"),
                                                                stamp(20, JWT)]})
    [(ref, finding, _, explains)] = time_source.suspects(facts)
    assert ref == Ref("DaemonSet", "kube-system", "ntpd")
    assert "token used before issued" in finding["message"]
    assert explains == [Ref("", "billing", "billing-gateway")]
    assert "survey-time-source-client-unrelated-7c9d8b6f5-zzzzz" not in hub.steps


def test_a_time_write_that_moved_nothing_is_not_named() -> None:
    facts, _ = run([CHRONY_WRITE], {"chrony-x7k2p": [stamp(38, "chronyd[1]: System clock wrong by 0.002 seconds")],
                                    "billing-gateway-6d8f9c7b5-x2k4q": [stamp(10, "level=error msg=timeout")]},
                   objects={("ConfigMap", "kube-system", "timesync-settings"): CHRONY_MAP})
    assert time_source.suspects(facts) == []


def test_a_configmap_that_is_not_about_time_is_not_named() -> None:
    other = write("ConfigMap", "gateway-settings", 40, "data key LOG_LEVEL 'info' -> 'debug'",
                  [{"kind": "Deployment", "namespace": "billing", "name": "billing-gateway"}])
    facts, hub = run([other], {}, read_logs=[log("billing-gateway-6d8f9c7b5-x2k4q", "billing", S3)])
    assert time_source.suspects(facts) == []
    assert hub.calls == []


def test_a_time_write_after_the_step_and_the_failures_is_not_named() -> None:
    late = write("ConfigMap", "timesync-settings", 5, "data key chrony.conf set by kubectl-edit",
                 [{"kind": "DaemonSet", "namespace": "kube-system", "name": "chrony"}])
    facts, _ = run([late], {"chrony-x7k2p": [stamp(50, "chronyd[1]: System clock was stepped by 3600.2 seconds")],
                            "billing-gateway-6d8f9c7b5-x2k4q": [stamp(45, S3)]})
    assert time_source.suspects(facts) == []
