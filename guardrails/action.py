"""The vocabulary every guardrail layer speaks: who asks, what they ask for, and what each layer said.

An `Action` is one request to run one tool. It is built the same way whether the request comes
from Vigil's own agent loop, from a Slack button, or from Claude Code calling an MCP server
directly, so that the five layers can judge all of them with one code path.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Origin = Literal["cli", "agent", "mcp", "slack", "pagerduty", "alertmanager", "http", "test"]


class Risk(IntEnum):
    """How much harm an action can do; the approval layer compares it with the policy's threshold."""

    READ = 0
    """Reads only (every Kubernetes, PromQL, LogQL and code-graph tool)."""
    LOW = 1
    """Writes something private and reversible (a draft, a local branch)."""
    MEDIUM = 2
    """Writes something others see (a pull request, a chat message with a proposal)."""
    HIGH = 3
    """Could change production once merged or applied (a PR against a production path)."""

    @classmethod
    def parse(cls, value: str | int | Risk) -> Risk:
        if isinstance(value, Risk):
            return value
        if isinstance(value, int):
            return cls(value)
        try:
            return cls[value.strip().upper()]
        except KeyError as exc:
            names = ", ".join(r.name.lower() for r in cls)
            raise ValueError(f"unknown risk level {value!r}; use one of: {names}") from exc


class Actor(BaseModel):
    """Who asks. `name` is a stable identity (`alice`, `slack:U123`, `agent`); `team` drives budgets."""

    model_config = ConfigDict(frozen=True)

    name: str
    origin: Origin = "cli"
    team: str | None = None


class ToolSpec(BaseModel):
    """What the guardrails must know about a tool: its schema and whether it can write."""

    model_config = ConfigDict(frozen=True)

    name: str
    input_schema: dict[str, Any] = Field(default_factory=lambda: {"type": "object"})
    read_only: bool = True
    risk: Risk = Risk.READ
    """The risk of calling the tool at all; an action may carry a higher one."""


class RollbackPlan(BaseModel):
    """How to undo a write action. Stored by action id; `vigil rollback ACTION_ID` carries it out."""

    kind: str
    """A name the rollback executor dispatches on, e.g. `revert_pull_request`."""
    description: str
    """What undoing means, for a human reading the audit log or the PR body."""
    data: dict[str, Any] = Field(default_factory=dict)
    """Everything the executor needs (repository, branch, commit ids)."""


def new_id(prefix: str) -> str:
    """A short, unguessable id such as `act_5f1c2a9e0b7d4c11`: 64 bits from the OS's random source, as
    sixteen hex digits (the spelling ids always had; `uuid4().hex[:16]` gave 60 random bits for an object
    and a version nibble's arithmetic, a quarter of building an `Action` on every guarded call)."""
    return f"{prefix}_{os.urandom(8).hex()}"


class Action(BaseModel):
    """One request to run one tool, with everything the layers need to judge it."""

    id: str = Field(default_factory=lambda: new_id("act"))
    run_id: str = Field(default_factory=lambda: new_id("run"))
    """The investigation (or MCP session) this action belongs to; audit records group by it."""
    actor: Actor
    tool: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    risk: Risk = Risk.READ
    rollback: RollbackPlan | None = None
    estimated_tokens: int = 0
    """Model tokens this action will spend, for budget checks on model calls."""
    estimated_cost_usd: float = 0.0
    requested_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


LayerName = Literal["validation", "scoping", "approval", "audit", "rollback"]


class Decision(BaseModel):
    """One layer's verdict on one action, with a reason a human can act on."""

    layer: LayerName
    allowed: bool
    reason: str
    rule: str | None = None
    """For a denial by the policy: the id of the rule (or limit) that decided."""
    details: dict[str, Any] = Field(default_factory=dict)


class Verdict(BaseModel):
    """All decisions taken on one action. The first denial, if any, is the answer."""

    action: Action
    decisions: list[Decision] = Field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return all(d.allowed for d in self.decisions)

    @property
    def denial(self) -> Decision | None:
        return next((d for d in self.decisions if not d.allowed), None)

    def explain(self) -> str:
        """One line per layer, the way `vigil policy check` prints it."""
        lines = []
        for d in self.decisions:
            mark = "allow" if d.allowed else "DENY "
            rule = f" [{d.rule}]" if d.rule else ""
            lines.append(f"{d.layer:<10} {mark} {d.reason}{rule}")
        return "\n".join(lines)


class GuardrailDenied(Exception):
    """Raised by callers that prefer exceptions; carries the verdict for the error message."""

    def __init__(self, verdict: Verdict) -> None:
        self.verdict = verdict
        denial = verdict.denial
        reason = f"{denial.layer}: {denial.reason}" if denial else "denied"
        if denial and denial.rule:
            reason += f" (rule {denial.rule})"
        super().__init__(f"guardrails refused {verdict.action.tool}: {reason}")
