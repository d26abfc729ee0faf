"""A rollout that rendered a flag or env value empty, refused by the program, is the cause above the crash.

Facts as the survey hands them over: the change timeline's rollout diff in the words of
mcp_servers.kubernetes.reads.template_diff (args lists, `env NAME='v' -> NAME=''`), the workload's crash
log as logfacts reads it (Go's flag package, Java's NumberFormatException), the scan's crash-loop finding.
Twins: an empty value the program does not complain about, and a switch given without a value.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.triage import rank, subject_of
from agent.triage.empty_value import emptied_keys, found
from agent.triage.facts import Facts, LogEvidence
from tests.triage.test_rank import alert

AT = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
GO_ARGS = ("ledger args ['--listen=:8080', '--pool-size=20', '--ttl=15m'] -> "
           "['--listen=:8080', '--pool-size=', '--ttl=15m']")
JAVA_ENV = "ledger env POOL_SIZE='20' -> POOL_SIZE=''"
GO_SAID = 'invalid value "" for flag -pool-size: parse error'
JAVA_SAID = 'java.lang.NumberFormatException: For input string: ""'


def _facts(diff: list[str], said: str, *, helm: bool = True) -> Facts:
    change: dict[str, Any] = {
        "at": "2026-09-01T11:40:00Z", "type": "rollout", "revision": 8, "related": [],
        "object": {"kind": "Deployment", "namespace": "bank", "name": "ledger"},
        "summary": "Deployment bank/ledger rolled out revision 8: ledger image ledger:2.9.1 -> ledger:3.0.0"
                   + (" (change-cause: helm upgrade)" if helm else ""),
        "diff": ["ledger image ledger:2.9.1 -> ledger:3.0.0", *diff]}
    crash = {"check": "pod.crashloop", "severity": "critical",
             "object": {"kind": "Deployment", "namespace": "bank", "name": "ledger"},
             "owner": {"kind": "Deployment", "namespace": "bank", "name": "ledger"}, "reason": "CrashLoopBackOff",
             "message": "Deployment bank/ledger: 2/3 pods CrashLoopBackOff (last exit Error code 2)",
             "details": {}, "evidence": ["container ledger CrashLoopBackOff"]}
    facts = Facts(at=AT, scan={"findings": [crash]}, scan_id="E1", changes={"changes": [change]}, changes_id="E2")
    top: dict[str, Any] = {"template": said, "example": said, "message": said, "severity": "error", "error_class": None,
           "count": 1, "fields": {}}
    facts.logs.append(LogEvidence(pod="ledger-5d8f7c9b6-x2x7q", namespace="bank", evidence_id="E5", top=top,
                                  hosts=[], error_classes=set(), previous=True))
    if helm:
        facts.reads["empty_value"] = {"bank/ledger": ("ledger-3.0.0", "E7")}
    return facts


def _top(facts: Facts) -> str:
    suspects = rank(subject_of(alert(alertname="KubePodCrashLooping", namespace="bank", deployment="ledger")), facts)
    assert suspects[0].ref is not None and suspects[0].ref.name == "ledger"
    return suspects[0].cause


def test_an_empty_flag_rendered_by_a_chart_upgrade_is_the_cause() -> None:
    cause = _top(_facts([GO_ARGS], GO_SAID))
    assert cause.startswith("Deployment bank/ledger rolled out --pool-size= (was 20): an empty value rendered by "
                            "the upgrade to chart 3.0.0"), cause
    assert "--reuse-values" in cause[:400] and GO_SAID in cause


def test_an_env_var_rendered_empty_is_read_the_same_way() -> None:
    cause = _top(_facts([JAVA_ENV], JAVA_SAID, helm=False))
    assert 'POOL_SIZE="" (was 20): an empty value in the new template' in cause and "For input string" in cause
    assert "reuse-values" not in cause, "no Helm in view: no claim about reused values"


def test_an_empty_value_the_program_does_not_refuse_is_not_blamed() -> None:
    facts = _facts([GO_ARGS], "dial tcp 10.0.3.4:5432: connect: connection refused")
    assert not found(facts)


def test_a_switch_without_a_value_is_not_empty() -> None:
    assert not emptied_keys(["ledger args ['--listen=:8080'] -> ['--listen=:8080', '--daemonize']"])
    assert emptied_keys([GO_ARGS]) == [("ledger", "--pool-size", "20")]
    assert emptied_keys(["ledger env POOL_SIZE (unset) -> POOL_SIZE=''"]) == [("ledger", "POOL_SIZE", "(unset)")]
    assert not emptied_keys(["ledger env POOL_SIZE='' -> POOL_SIZE=''"])
