"""Filling a runbook's tool calls from one incident: the calls the agent prefetches in parallel.

A step whose template cannot be filled (a label the incident lacks, a value with characters that
do not belong in a tool argument) is skipped with a note saying which value was missing, so the
model and the report can tell "not checked" from "checked, nothing found".

An argument that renders to an empty string is left out, so the tool's own default applies
(`container: "{{ labels.container | default('') }}"` means "the container the alert names, or
the tool's default"). By the argument convention an omitted and an empty `namespace` mean the
same: all namespaces.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agent.incident import Incident
from agent.runbooks.model import Plan, PlannedCall, Runbook, SkippedStep
from agent.runbooks.templating import Context, MissingValue, TemplateError, UnsafeValue, render_data


def context_for(incident: Incident, captures: dict[str, str] | None = None) -> Context:
    """The values a template sees for this incident (`match` holds regex captures of a rule)."""
    start = incident.started_at.astimezone(UTC)
    end = min(start + timedelta(hours=1), datetime.now(UTC))
    started = _rfc3339(start)
    fields = {
        "id": incident.id,
        "fingerprint": incident.fingerprint,
        "title": incident.title,
        "severity": incident.severity,
        "source": incident.source,
        "status": incident.status,
        "started_at": started,
        "alertname": incident.alertname,
        "window_start": _rfc3339(start - timedelta(hours=1)),
        "window_end": _rfc3339(max(end, start)),
    }
    return Context(
        labels=template_labels(incident),
        annotations=dict(incident.annotations),
        incident=fields,
        match=dict(captures or {}),
    )


def template_labels(incident: Incident) -> dict[str, str]:
    """The incident's labels, completed from its first firing alert.

    A group of alerts keeps only the labels all of them share, so `pod` disappears when two pods
    crash-loop. A runbook step still wants one pod to describe: it gets the first firing alert's,
    which is a real example of the problem, while the incident itself stays truthful.
    """
    firing = [a for a in incident.alerts if a.status == "firing"] or incident.alerts
    example = firing[0] if firing else None
    merged = dict(example.labels) if example else {}
    merged.update(incident.labels)
    return merged


def plan_calls(runbook: Runbook, incident: Incident) -> Plan:
    """The runbook's concrete tool calls for `incident`, in step order, and the steps skipped."""
    context = context_for(incident)
    plan = Plan(runbook_id=runbook.id)
    for step in runbook.steps:
        if step.call is None:
            continue
        try:
            arguments = render_data(step.call.arguments, context, safe=True)
        except MissingValue as exc:
            plan.skipped.append(
                SkippedStep(step_id=step.id, tool=step.call.tool,
                            reason=f"skipped: the incident has no {exc.ref} and the template gives no default")
            )
            continue
        except (UnsafeValue, TemplateError) as exc:
            plan.skipped.append(SkippedStep(step_id=step.id, tool=step.call.tool, reason=f"skipped: {exc}"))
            continue
        arguments = {k: v for k, v in arguments.items() if v != ""}
        plan.calls.append(PlannedCall(step_id=step.id, tool=step.call.tool, arguments=arguments))
    return plan


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
