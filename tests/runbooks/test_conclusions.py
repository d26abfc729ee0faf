"""Runbook-only conclusions: three-valued rule logic, captures, remediation proposals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agent.incident import AlertInstance, Incident
from agent.runbooks.conclusions import conclude, evaluate_condition
from agent.runbooks.model import Condition
from agent.runbooks.parser import parse_text
from agent.runbooks.plan import context_for, plan_calls, template_labels
from tests.runbooks.test_parser_lint import GOOD

INCIDENT = Incident(
    fingerprint="f", title="t", source="alertmanager",
    labels={"alertname": "SampleAlert", "namespace": "shop", "pod": "checkout-7d9f8b6c5d-x2x4z"},
    started_at=datetime(2026, 3, 12, 14, 20, tzinfo=UTC),
)


def _cond(data: dict) -> Condition:  # type: ignore[type-arg]
    return Condition.model_validate(data)


@pytest.mark.parametrize(
    ("condition", "evidence", "truth"),
    [
        ({"step": "a", "matches": "OOM"}, {"a": "Reason: OOMKilled"}, True),
        ({"step": "a", "matches": "OOM"}, {"a": "fine"}, False),
        ({"step": "a", "matches": "OOM"}, {}, None),
        ({"not": {"step": "a", "matches": "OOM"}}, {}, None),
        ({"not": {"step": "a", "matches": "OOM"}}, {"a": "fine"}, True),
        ({"all": [{"step": "a", "matches": "x"}, {"step": "b", "matches": "y"}]}, {"a": "x"}, None),
        ({"all": [{"step": "a", "matches": "x"}, {"step": "b", "matches": "y"}]}, {"a": "no"}, False),
        ({"any": [{"step": "a", "matches": "x"}, {"step": "b", "matches": "y"}]}, {"b": "y"}, True),
        ({"any": [{"step": "a", "matches": "x"}, {"step": "b", "matches": "y"}]}, {"b": "no"}, None),
        ({"any": [{"step": "a", "matches": "x"}, {"step": "b", "matches": "y"}]}, {"a": "", "b": "no"}, False),
        ({"step": "a", "matches": "^Reason"}, {"a": "State: Waiting\nReason: x"}, True),  # multiline anchors
    ],
)
def test_three_valued_logic(condition: dict, evidence: dict[str, str], truth: bool | None) -> None:  # type: ignore[type-arg]
    assert evaluate_condition(_cond(condition), evidence)[0] is truth


def test_a_firing_rule_gives_a_finding_with_captures_and_a_remediation() -> None:
    runbook = parse_text(GOOD, "s.md").runbook
    assert runbook is not None
    evidence = {"describe": "Last State: Terminated OOMKilled at limit 256Mi", "read-the-logs": "all quiet"}
    conclusion = conclude(runbook, INCIDENT, evidence)
    assert conclusion.ruled_out == [] and conclusion.undetermined == []
    [finding] = conclusion.findings
    assert finding.text == "OOMKilled at 256Mi in shop"
    assert finding.captures == {"limit": "256Mi"}
    assert finding.cites == ["describe"]
    assert finding.remediation is not None
    assert finding.remediation.action == "set_memory_limit"
    assert finding.remediation.fields == {
        "action": "set_memory_limit", "workload": {"name": "checkout", "namespace": "shop"}, "value": "512Mi"
    }
    assert finding.remediation.missing == []


def test_missing_evidence_is_undetermined_not_ruled_out() -> None:
    runbook = parse_text(GOOD, "s.md").runbook
    assert runbook is not None
    conclusion = conclude(runbook, INCIDENT, {"describe": "OOMKilled at limit 256Mi"})
    assert conclusion.findings == []
    assert [(u.rule_id, u.missing_steps) for u in conclusion.undetermined] == [("oom", ["read-the-logs"])]
    ruled = conclude(runbook, INCIDENT, {"describe": "Running", "read-the-logs": "ok"})
    assert [(r.rule_id, r.reason, r.cites) for r in ruled.ruled_out] == [
        ("oom", "the evidence does not show: Out of memory", ["describe", "read-the-logs"])
    ]


def test_plan_fills_calls_and_skips_with_a_note() -> None:
    runbook = parse_text(GOOD, "s.md").runbook
    assert runbook is not None
    plan = plan_calls(runbook, INCIDENT)
    assert [(c.step_id, c.tool, c.arguments) for c in plan.calls] == [
        ("describe", "k8s_describe", {"kind": "Pod", "name": "checkout-7d9f8b6c5d-x2x4z", "namespace": "shop"}),
        ("read-the-logs", "k8s_logs", {"name": "checkout-7d9f8b6c5d-x2x4z", "namespace": "shop", "previous": True}),
    ]
    no_pod = INCIDENT.model_copy(update={"labels": {"namespace": "shop"}})
    plan = plan_calls(runbook, no_pod)
    assert plan.calls == []
    assert [s.step_id for s in plan.skipped] == ["describe", "read-the-logs"]
    assert "labels.pod" in plan.skipped[0].reason
    hostile = INCIDENT.model_copy(update={"labels": {"namespace": "shop", "pod": 'x"}) or vector(1'}})
    plan = plan_calls(runbook, hostile)
    assert plan.calls == [] and "not allowed in a tool argument" in plan.skipped[0].reason


def test_empty_arguments_are_left_out() -> None:
    text = GOOD.replace('namespace: "{{ labels.namespace | default(\\"default\\") }}"',
                        'namespace: "{{ labels.namespace | default(\\"\\") }}"')
    runbook = parse_text(text, "s.md").runbook
    assert runbook is not None
    incident = INCIDENT.model_copy(update={"labels": {"pod": "p-1"}})
    [call] = plan_calls(runbook, incident).calls
    assert call.arguments == {"kind": "Pod", "name": "p-1"}


def test_a_group_lends_its_first_firing_alert_to_templates() -> None:
    grouped = INCIDENT.model_copy(update={
        "labels": {"alertname": "SampleAlert", "namespace": "shop"},
        "alerts": [AlertInstance(labels={"namespace": "shop", "pod": "p-1"}, status="resolved"),
                   AlertInstance(labels={"namespace": "shop", "pod": "p-2"})],
    })
    assert template_labels(grouped)["pod"] == "p-2"
    assert "pod" not in grouped.labels


def test_incident_fields_and_windows() -> None:
    fields = context_for(INCIDENT).incident
    assert fields["started_at"] == "2026-03-12T14:20:00Z"
    assert fields["window_start"] == "2026-03-12T13:20:00Z"
    assert fields["window_end"] == "2026-03-12T15:20:00Z"
    assert fields["alertname"] == "SampleAlert"
