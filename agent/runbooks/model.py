"""The parsed shape of a runbook, and of what matching, planning and conclusions produce.

A runbook file is trusted content (operators write and review it); the incident it is applied to
is not. Everything here keeps the two apart: templates are parsed from the file, values come from
the incident at render time.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, Field

MatcherOp = Literal["=", "!=", "=~", "!~"]


class LabelMatcher(BaseModel):
    """A Prometheus-style label matcher: `namespace="payments"`, `pod=~"checkout-.*"`."""

    name: str
    op: MatcherOp = "="
    value: str = ""

    def evaluate(self, labels: dict[str, str]) -> bool | None:
        """True or False; None when the incident lacks the label.

        A free-text incident rarely carries every label an alert would, so an absent label is
        "unknown" (neutral) rather than a match or a mismatch, whatever the operator.
        """
        if self.name not in labels:
            return None
        actual = labels[self.name]
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        hit = re.fullmatch(self.value, actual) is not None
        return hit if self.op == "=~" else not hit

    def __str__(self) -> str:
        return f'{self.name}{self.op}"{self.value}"'


class MatchRules(BaseModel):
    alertnames: list[str] = Field(default_factory=list)
    labels: list[LabelMatcher] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    fallback: bool = False
    """The generic runbook used when nothing else matches."""


class ToolCallTemplate(BaseModel):
    tool: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    line: int = 0


class Step(BaseModel):
    id: str
    title: str
    text: str = ""
    """The step's prose, for the model and for humans."""
    call: ToolCallTemplate | None = None
    line: int = 0


class Condition(BaseModel):
    """One node of a rule's `when`: a test on one step's evidence, or all/any/not of others."""

    step: str | None = None
    matches: str | None = None
    """A regular expression over the step's text (for tools that answer in text only)."""
    expr: str | None = None
    """A JMESPath expression over the step's structured result (its MCP output schema); true when the
    result is not empty (null, false, [], {} and "" are false), as in JMESPath itself."""
    capture: dict[str, str] | None = None
    """Values for the finding's template: name -> JMESPath over the expression's result (its first
    element when it is a list)."""
    all: list[Condition] | None = None
    any: list[Condition] | None = None
    not_: Condition | None = Field(default=None, alias="not")
    line: int = 0

    model_config = {"populate_by_name": True}

    def steps(self) -> list[str]:
        """Every step id this condition reads."""
        found = [self.step] if self.step else []
        for child in (self.all or []) + (self.any or []) + ([self.not_] if self.not_ else []):
            found.extend(child.steps())
        return found


class ConclusionRule(BaseModel):
    id: str
    title: str
    """The hypothesis in a few words, e.g. "Memory limit too low or a leak"."""
    when: Condition
    finding: str
    """Templated text; may use {{ match.NAME }} from named regex groups."""
    confidence: float = 0.5
    remediation: str | None = None
    cites: list[str] = Field(default_factory=list)
    ruled_out: str | None = None
    """What to say when the evidence is in and the rule does not hold."""
    line: int = 0


class RemediationTemplate(BaseModel):
    id: str
    action: str
    spec: dict[str, Any] = Field(default_factory=dict)
    """All fields of the template (target, values, description), rendered at conclusion time."""
    line: int = 0


class Runbook(BaseModel):
    id: str
    title: str
    owner: str
    version: str
    severity: str = "warning"
    """The usual severity of the incidents this runbook handles (shown in listings)."""
    tools: list[str] = Field(default_factory=list)
    """Tools the runbook (and the model following it) may use."""
    match: MatchRules = Field(default_factory=MatchRules)
    description: str = ""
    steps: list[Step] = Field(default_factory=list)
    rules: list[ConclusionRule] = Field(default_factory=list)
    remediations: dict[str, RemediationTemplate] = Field(default_factory=dict)
    body: str = ""
    """The Markdown after the front matter, as the model sees it."""
    path: str = ""

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)


# ----------------------------------------------------------------- what the runbook produces


class RunbookMatch(BaseModel):
    runbook: Runbook
    score: float
    reasons: list[str] = Field(default_factory=list)
    """Why it matched, one phrase each, e.g. 'alert name KubePodCrashLooping'."""


class PlannedCall(BaseModel):
    step_id: str
    tool: str
    arguments: dict[str, Any]


class SkippedStep(BaseModel):
    step_id: str
    tool: str
    reason: str


class Plan(BaseModel):
    """The runbook's tool calls filled in from one incident, ready to run in parallel."""

    runbook_id: str
    calls: list[PlannedCall] = Field(default_factory=list)
    skipped: list[SkippedStep] = Field(default_factory=list)


class RemediationProposal(BaseModel):
    """A suggested GitOps change, as data for the GitOps side (never applied by the runbook)."""

    id: str
    action: str
    fields: dict[str, Any] = Field(default_factory=dict)
    missing: list[str] = Field(default_factory=list)
    """Template references that had no value; the change needs a human to fill them."""


class Finding(BaseModel):
    rule_id: str
    title: str
    text: str
    confidence: float
    cites: list[str]
    """Step ids whose evidence supports the finding."""
    remediation: RemediationProposal | None = None
    captures: dict[str, str] = Field(default_factory=dict)


class RuledOut(BaseModel):
    rule_id: str
    title: str
    reason: str
    cites: list[str] = Field(default_factory=list)


class Undetermined(BaseModel):
    rule_id: str
    title: str
    missing_steps: list[str]


class Conclusion(BaseModel):
    runbook_id: str
    findings: list[Finding] = Field(default_factory=list)
    """Best first (highest confidence)."""
    ruled_out: list[RuledOut] = Field(default_factory=list)
    undetermined: list[Undetermined] = Field(default_factory=list)
    """Rules that could not be decided because a step gave no evidence."""
