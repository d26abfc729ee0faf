"""What every guardrail layer shares: the call it judges, the result it returns, and its protocol.

A layer is a small object with a `name` (what the policy's `layers:` list calls it), a `check`
that judges a call before the tool runs and an `after` that sees the tool's result. The pipeline
runs a list of them in the policy's order, so a policy author adds a layer by naming a class,
without editing the pipeline (docs/guardrails.md).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from guardrails.action import Action, Decision, ToolSpec, Verdict
from guardrails.scope import Scope

if TYPE_CHECKING:
    from guardrails.injection import InjectionReport
    from guardrails.pipeline import Pipeline

Normaliser = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]
"""(tool name, schema-valid arguments) -> the canonical arguments the policy judges and the tool gets.
A server supplies one when the policy needs facts only it can establish (Kubernetes discovery)."""


class ArgumentError(ValueError):
    """Raised by a normaliser for an argument it cannot accept; the message names the argument and the fix."""


@dataclass
class Call:
    """One action on its way through the layers: what is judged, by which pipeline, and what was decided."""

    pipeline: Pipeline
    """Policy, audit log, approver, rollback store and ledger the layers read."""
    action: Action
    spec: ToolSpec | None = None
    cost_class: str | None = None
    normalise: Normaliser | None = None
    where: str = "agent"
    """Who judges (`agent`, `server:kubernetes`): audit records and spans say so."""
    verdict: Verdict = field(init=False)
    _scope: Scope | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.verdict = Verdict(action=self.action)

    def scope(self) -> Scope:
        """What the action touches, read once from its (canonical) arguments; ValueError if unreadable."""
        if self._scope is None:
            self._scope = self.pipeline.policy.scope_of(self.action)
        return self._scope


@dataclass
class LayerResult:
    """What a layer decided. `decision` None means the layer had nothing to say on this call (nothing
    is recorded for it); each layer's own subclass adds what it learned."""

    decision: Decision | None = None

    @property
    def allowed(self) -> bool:
        return self.decision is None or self.decision.allowed


@dataclass
class ToolResult:
    """A tool's answer as the `after` stage passes it from layer to layer."""

    text: str
    is_error: bool = False
    secrets_redacted: int = 0
    injection: InjectionReport | None = None
    """Set by the screening layer."""
    audit_seq: int | None = None
    """Set by the audit layer: the result record's sequence number."""


@runtime_checkable
class Layer(Protocol):
    """The protocol every layer follows, built-in or a policy author's own."""

    name: ClassVar[str]
    in_precheck: ClassVar[bool]
    """Also runs in `Pipeline.precheck` (the middleware's check of a write tool before it builds its
    rollback plan): validation and scoping do, rollback and approval do not."""
    always: ClassVar[bool]
    """Runs even after another layer denied (the audit layer records denials too)."""

    async def check(self, call: Call) -> LayerResult: ...

    def after(self, call: Call, result: ToolResult) -> ToolResult: ...


class BaseLayer:
    """Defaults for a layer: judges nothing, passes results through. Subclass and override."""

    name: ClassVar[str] = "base"
    in_precheck: ClassVar[bool] = False
    always: ClassVar[bool] = False

    async def check(self, call: Call) -> LayerResult:
        return LayerResult()

    def after(self, call: Call, result: ToolResult) -> ToolResult:
        return result
