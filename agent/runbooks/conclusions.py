"""Runbook-only mode: turning the evidence of the runbook's tool calls into findings.

Each rule's `when` is evaluated in three-valued logic. A step test is True when the step's output
matches the regex, False when the output is there and does not, and *unknown* when the step gave
no evidence (skipped, failed, denied). `not unknown` stays unknown, `all` is False as soon as one
part is False, `any` is True as soon as one part is True. So a rule fires only on evidence, and a
missing tool result is reported as "undetermined", never as "ruled out".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import jmespath

from agent.incident import Incident
from agent.runbooks.model import (
    Conclusion,
    ConclusionRule,
    Condition,
    Finding,
    RemediationProposal,
    RemediationTemplate,
    RuledOut,
    Runbook,
    Undetermined,
)
from agent.runbooks.plan import context_for
from agent.runbooks.templating import MissingValue, TemplateError, render, strings_in

Truth = bool | None


SURVEY_STEPS = ("survey.scan", "survey.changes", "survey.topology", "survey.logs")
"""Steps every investigation has without a runbook defining them: the survey's structured results
(agent/triage). A rule reads the cluster-wide scan as `step: survey.scan`."""


def evaluate_condition(condition: Condition, evidence: Mapping[str, str],
                       facts: Mapping[str, Any] | None = None) -> tuple[Truth, dict[str, str], list[str]]:
    """(truth, named captures, step ids whose evidence made it true).

    `evidence` holds each step's text (for `matches`), `facts` its structured result (for `expr`).
    """
    if condition.step is not None and condition.expr is not None:
        data = (facts or {}).get(condition.step)
        if data is None:
            return None, {}, []
        result = jmespath.search(condition.expr, data)
        if result in (None, False, [], {}, ""):
            return False, {}, []
        first = result[0] if isinstance(result, list) else result
        caught = {name: _text(jmespath.search(path, first)) for name, path in (condition.capture or {}).items()}
        return True, {k: v for k, v in caught.items() if v}, [condition.step]
    if condition.step is not None:
        text = evidence.get(condition.step)
        if text is None:
            return None, {}, []
        found = re.search(condition.matches or "", text, re.MULTILINE)
        if not found:
            return False, {}, []
        return True, {k: v for k, v in found.groupdict().items() if v is not None}, [condition.step]
    if condition.not_ is not None:
        truth, _, _ = evaluate_condition(condition.not_, evidence, facts)
        return (None if truth is None else not truth), {}, []
    if condition.all is not None:
        captures: dict[str, str] = {}
        steps: list[str] = []
        unknown = False
        for child in condition.all:
            truth, caught, used = evaluate_condition(child, evidence, facts)
            if truth is False:
                return False, {}, []
            if truth is None:
                unknown = True
            captures = {**caught, **captures}
            steps.extend(s for s in used if s not in steps)
        return (None if unknown else True), captures, steps
    unknown = False
    for child in condition.any or []:
        truth, caught, used = evaluate_condition(child, evidence, facts)
        if truth is True:
            return True, caught, used
        if truth is None:
            unknown = True
    return (None if unknown else False), {}, []


def render_remediation(template: RemediationTemplate, incident: Incident,
                       captures: Mapping[str, str]) -> RemediationProposal:
    """Fill a remediation template; values that cannot be filled are listed in `missing`."""
    context = context_for(incident, dict(captures))
    fields: dict[str, object] = {}
    missing: list[str] = []

    def fill(value: object, path: str) -> object:
        if isinstance(value, str):
            try:
                return render(value, context, safe=True)
            except (MissingValue, TemplateError) as exc:
                missing.append(f"{path}: {exc}")
                return None
            except ValueError as exc:  # UnsafeValue
                missing.append(f"{path}: {exc}")
                return None
        if isinstance(value, dict):
            return {k: fill(v, f"{path}.{k}") for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v, f"{path}[{i}]") for i, v in enumerate(value)]
        return value

    for key, value in template.spec.items():
        if key == "reason":
            # Human text: any characters allowed, flattened to one line.
            try:
                fields[key] = render(str(value), context)
            except (MissingValue, TemplateError) as exc:
                missing.append(f"reason: {exc}")
            continue
        fields[key] = fill(value, key)
    return RemediationProposal(id=template.id, action=template.action, fields=fields, missing=missing)


def conclude(runbook: Runbook, incident: Incident, evidence: Mapping[str, str],
             facts: Mapping[str, Any] | None = None) -> Conclusion:
    """Evaluate every rule of `runbook` on `evidence` (tool output text keyed by step id) and `facts`
    (structured results keyed by step id, the survey's under SURVEY_STEPS)."""
    conclusion = Conclusion(runbook_id=runbook.id)
    present = set(evidence) | set(facts or {})
    for rule in runbook.rules:
        truth, captures, used = evaluate_condition(rule.when, evidence, facts)
        if truth is True:
            conclusion.findings.append(_finding(runbook, rule, incident, captures, used))
        elif truth is False:
            reason = rule.ruled_out or f"the evidence does not show: {rule.title}"
            steps = [s for s in dict.fromkeys(rule.when.steps()) if s in present]
            conclusion.ruled_out.append(RuledOut(rule_id=rule.id, title=rule.title, reason=reason, cites=steps))
        else:
            absent = [s for s in dict.fromkeys(rule.when.steps()) if s not in present]
            conclusion.undetermined.append(Undetermined(rule_id=rule.id, title=rule.title, missing_steps=absent))
    conclusion.findings.sort(key=lambda f: f.confidence, reverse=True)
    return conclusion


def _text(value: Any) -> str:
    """A captured value as template text: lists joined, numbers as written, nothing for null."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value if v is not None)
    if isinstance(value, dict):
        return ", ".join(f"{k}={_text(v)}" for k, v in value.items())
    return str(value)


def _finding(runbook: Runbook, rule: ConclusionRule, incident: Incident, captures: dict[str, str],
             used: list[str]) -> Finding:
    context = context_for(incident, captures)
    try:
        text = render(rule.finding, context)
    except (MissingValue, TemplateError):
        # Lint rejects templates that cannot be filled from the rule's own captures; a label the
        # incident lacks still leaves the plain finding readable.
        text = re.sub(r"\{\{.*?\}\}", "(unknown)", rule.finding)
    remediation = None
    if rule.remediation and rule.remediation in runbook.remediations:
        remediation = render_remediation(runbook.remediations[rule.remediation], incident, captures)
    return Finding(
        rule_id=rule.id,
        title=rule.title,
        text=" ".join(text.split()),
        confidence=rule.confidence,
        cites=rule.cites or used,
        remediation=remediation,
        captures=captures,
    )


def template_strings(template: RemediationTemplate) -> list[tuple[tuple[str | int, ...], str]]:
    """Every string in a remediation template with its path (for lint)."""
    return strings_in(template.spec)
