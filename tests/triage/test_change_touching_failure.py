"""A rollout that changed the very setting a new error depends on is named as its cause.

The diff lines are what `k8s_changes` writes for a template change (mcp_servers/kubernetes/reads.py
renders structures by the leaves that differ); the log lines are the runtimes' own wordings.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agent.incident import from_text
from agent.triage import rank, subject_of
from agent.triage.facts import Facts
from mcp_servers.kubernetes.reads import _other_fields
from tests.triage.test_rank import logs

AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def test_a_structure_change_is_shown_by_the_leaves_that_differ() -> None:
    old = {"dnsPolicy": "ClusterFirst", "tolerations": [{"key": "spot", "effect": "NoSchedule"}]}
    new = {"dnsPolicy": "ClusterFirst", "tolerations": [{"key": "spot", "effect": "NoExecute"}],
           "dnsConfig": {"searches": ["corp.example.internal"], "options": [{"name": "ndots", "value": "5"}]}}
    assert _other_fields(old, new, frozenset(), "pod ") == [
        "pod dnsConfig.options[name=ndots].value unset -> '5'",
        "pod dnsConfig.searches unset -> 'corp.example.internal'",
        "pod tolerations[key=spot].effect 'NoSchedule' -> 'NoExecute'"]


def rollout(diff: list[str], minutes_before: int = 25) -> dict[str, object]:
    return {"at": (AT - timedelta(minutes=minutes_before)).isoformat().replace("+00:00", "Z"), "type": "rollout",
            "object": {"kind": "Deployment", "namespace": "integrations", "name": "partner-sync"},
            "summary": "Deployment integrations/partner-sync rolled out revision 7: " + "; ".join(diff),
            "diff": diff, "related": []}


@pytest.mark.parametrize(("error_class", "line", "diff_line"), [
    ("dns_failure", "dial tcp: lookup api.bank.example.net on 172.20.0.12:53: read udp 10.0.0.1:4->172.20.0.12:53: "
     "i/o timeout", "pod dnsConfig.options[name=ndots].value unset -> '5'"),
    ("permission_denied", "open /var/cache/app/index.db: permission denied",
     "app securityContext.runAsUser '0' -> '10001'"),
    ("file_not_found", "FileNotFoundError: [Errno 2] No such file or directory: '/etc/app/rules.yaml'",
     "app volumeMounts[name=rules].mountPath '/etc/app' -> '/etc/rules'"),
])
def test_the_change_that_touched_what_fails_comes_first(error_class: str, line: str, diff_line: str) -> None:
    diff = ["partner-sync image registry.example.com/ps:1.12.0 -> registry.example.com/ps:1.12.1", diff_line]
    facts = Facts(at=AT, changes={"changes": [rollout(diff)]}, changes_id="E2",
                  logs=[logs("partner-sync-5c8d7f9b6-x2k4q", "integrations", error_class, line)])
    [top, *_] = rank(subject_of(from_text("partner-sync in integrations fails since 11:40")), facts)
    assert top.ref is not None and top.ref.name == "partner-sync" and top.confidence >= 0.6
    assert diff_line in top.cause and "image" not in top.cause.split("depend on:")[1]
    assert top.evidence == ["E2", "E9"]


def test_a_change_of_something_else_stays_a_weak_hint() -> None:
    diff = ["partner-sync image registry.example.com/ps:1.12.0 -> registry.example.com/ps:1.12.1"]
    facts = Facts(at=AT, changes={"changes": [rollout(diff)]}, changes_id="E2",
                  logs=[logs("partner-sync-5c8d7f9b6-x2k4q", "integrations", "dns_failure",
                             "dial tcp: lookup api.bank.example.net: no such host")])
    ranked = rank(subject_of(from_text("partner-sync in integrations fails since 11:40")), facts)
    change = next(c for c in ranked if c.check.startswith("change."))
    assert change.confidence < 0.5 and change.cause.startswith("A recent change may have triggered it")
