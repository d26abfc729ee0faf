"""The cascade: rules first, a local model when they are inconclusive, a frontier model when needed.

`llm.route` in vigil.yaml turns it on. The runbook's rules and triage run on every incident anyway;
a model is only worth its time (and, for a frontier model, its money) when they do not settle the
question. Each decision is a sentence in the report, so a reader sees why a model was or was not asked.

The decisions are pure functions of the report so far, so they are tested without any model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from agent.llm.settings import LLMSettings


class RouteSettings(BaseModel):
    """`llm.route`: when to ask the configured (local) model, and when to go on to `escalate_to`."""

    rules_first: bool = True
    """Ask no model when the rules and triage already hold a conclusive finding."""
    conclusive_at: float = Field(default=0.8, ge=0, le=1)
    """A rule finding or suspect at this confidence or more, citing evidence, is conclusive."""
    escalate_to: LLMSettings | None = None
    """The frontier model; without it the cascade stops at the local model."""
    escalate_below: float = Field(default=0.6, ge=0, le=1)
    """A local answer whose best grounded hypothesis is below this confidence goes to the frontier model."""
    escalate_severities: list[str] = Field(default_factory=lambda: ["critical"])
    """Incidents of these severities go straight to the frontier model when the rules are inconclusive."""


def rules_conclusive(report: Any, route: RouteSettings) -> str | None:
    """Why no model is needed (the reason for the report), or None when the rules are inconclusive."""
    if not route.rules_first:
        return None
    top = report.top
    if top is None or top.source == "model" or not top.evidence or top.confidence < route.conclusive_at:
        return None
    return (f"rules: conclusive ({top.source} finding at {top.confidence:.2f} >= {route.conclusive_at:.2f}, "
            f"citing {', '.join(top.evidence)}); no model asked")


def straight_to_frontier(severity: str, route: RouteSettings) -> str | None:
    """Why an inconclusive incident skips the local model, or None (the caller checks a frontier model exists)."""
    if severity.lower() not in {s.lower() for s in route.escalate_severities}:
        return None
    return f"frontier model: the incident is {severity} and the rules are inconclusive"


def local_answer_problem(report: Any, route: RouteSettings) -> str | None:
    """Why the local model's answer is not good enough (so the frontier model is asked), or None."""
    if not report.complete:
        return f"the local model did not finish ({report.incomplete_reason})"
    if report.stats.repair_turns and report.model_note_flags == ["not in the report format"]:
        return "the local model's answer was invalid even after a repair turn"
    grounded = [h for h in report.hypotheses if h.source == "model" and h.evidence]
    if not grounded or report.model_note:
        return "the local model's answer cited no evidence that supports it"
    best = max(h.confidence for h in grounded)
    if best < route.escalate_below:
        return f"the local model's best grounded hypothesis is at {best:.2f} < {route.escalate_below:.2f}"
    return None
