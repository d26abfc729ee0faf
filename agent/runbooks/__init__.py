"""Runbooks: Markdown procedures that pick the evidence to gather and, with no model, conclude.

The pieces, each small: `parser` reads a file, `lint` checks it, `catalog` loads a directory,
`matching` picks runbooks for an incident, `plan` fills in the tool calls, `conclusions` turns the
calls' output into findings and remediation proposals. docs/runbooks.md describes the format.
"""

from agent.runbooks.catalog import Catalog, default_dirs
from agent.runbooks.conclusions import conclude
from agent.runbooks.lint import lint_paths
from agent.runbooks.model import (
    Conclusion,
    Finding,
    Plan,
    PlannedCall,
    RemediationProposal,
    Runbook,
    RunbookMatch,
)
from agent.runbooks.parser import parse_file, parse_text
from agent.runbooks.plan import plan_calls
from agent.runbooks.tools import KNOWN_TOOLS

__all__ = [
    "KNOWN_TOOLS",
    "Catalog",
    "Conclusion",
    "Finding",
    "Plan",
    "PlannedCall",
    "RemediationProposal",
    "Runbook",
    "RunbookMatch",
    "conclude",
    "default_dirs",
    "lint_paths",
    "parse_file",
    "parse_text",
    "plan_calls",
]
