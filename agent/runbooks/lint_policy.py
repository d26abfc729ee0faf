"""Runbook steps checked against a policy: a step the policy would refuse is a lint error.

A runbook whose step reads CoreDNS logs in kube-system is useless under a policy that denies
kube-system: at 3 a.m. the step is refused and its rule cannot decide. Lint says so at write time,
naming the step and the policy rule. Only literal arguments can be judged here (a namespace taken
from the incident's labels is known only when an incident comes); those are judged when they run.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from agent.runbooks.issues import Issue
from agent.runbooks.model import Runbook
from guardrails.action import Actor
from guardrails.policy import Policy
from guardrails.scope import extract_scope

AGENT = Actor(name="agent", origin="agent")
"""Who runs a runbook's steps: the investigation agent."""


def lint_against_policy(runbooks: Iterable[Runbook], policy: Policy, policy_name: str) -> list[Issue]:
    """One error per step whose literal arguments the policy denies to the agent."""
    issues: list[Issue] = []
    for runbook in runbooks:
        for step in runbook.steps:
            if step.call is None:
                continue
            literal = {k: v for k, v in step.call.arguments.items() if not (isinstance(v, str) and "{{" in v)}
            try:
                scope = extract_scope(literal)
            except ValueError:
                continue  # bad values are the argument schema's business, reported by the tool
            decision = policy.evaluate_rules(AGENT, step.call.tool, scope)
            if not decision.allowed:
                where = ", ".join(f"{k}={v}" for k, v in sorted(literal.items()) if k in ("namespace", "kind"))
                issues.append(Issue(runbook.path, step.call.line, "error", "policy-denied",
                                    f"step {step.id!r} calls {step.call.tool}" + (f" ({where})" if where else "")
                                    + f", which {policy_name} denies (rule {decision.rule}): {decision.reason}; "
                                    "allow it in the policy or drop the step"))
    return issues


def policy_name(path: Path | None) -> str:
    return f"the policy {path}" if path else "the shipped default policy"
