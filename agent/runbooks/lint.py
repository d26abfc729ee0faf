"""Checking runbooks before they are trusted: every problem with its file and line.

The parser has already checked structure. Lint adds what needs the whole runbook or the tool
catalogue: unknown or unlisted tools, templates that cannot be read or cannot be filled, rules that
can never fire (an unknown step, a step with no tool call, a capture no regex defines), remediation
ids that do not exist, and ids used by two runbooks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from agent.runbooks.conclusions import SURVEY_STEPS
from agent.runbooks.issues import Issue
from agent.runbooks.model import ConclusionRule, Runbook
from agent.runbooks.parser import ParseResult, parse_file
from agent.runbooks.templating import ROOTS, check, expressions, strings_in
from agent.runbooks.tools import KNOWN_REMEDIATION_ACTIONS, KNOWN_TOOLS, WRITE_TOOLS
from agent.runbooks.yamllines import line_of

CALL_ROOTS = ("labels", "annotations", "incident")
"""Tool calls run before any rule, so `match.*` captures are not available to them."""


def lint_result(result: ParseResult, known_tools: Iterable[str] = KNOWN_TOOLS,
                write_tools: Iterable[str] = WRITE_TOOLS) -> list[Issue]:
    """Parse issues plus semantic ones for one parsed runbook.

    `known_tools` and `write_tools` are the built-in catalogue offline; an investigation passes the
    connected servers' tools, read or write by their MCP annotations (agent/runtime.py)."""
    issues = list(result.issues)
    runbook = result.runbook
    if runbook is None:
        return issues
    known = set(known_tools)
    writes = set(write_tools)
    path = runbook.path

    def add(line: int, code: str, message: str, level: str = "error") -> None:
        issues.append(Issue(path, line, level, code, message))  # type: ignore[arg-type]

    for index, tool in enumerate(runbook.tools):
        if tool not in known:
            add(line_of(result.front_lines, ("tools", index), 2), "unknown-tool",
                f"unknown tool {tool!r}; known tools: {', '.join(sorted(known))}")
        elif tool in writes:
            add(line_of(result.front_lines, ("tools", index), 2), "write-tool",
                f"{tool} writes; runbooks only read (remediations go in a ```remediations block)")

    for step in runbook.steps:
        if step.call is None:
            continue
        call, lines = step.call, result.call_lines.get(step.id, {})
        if call.tool not in known:
            add(call.line, "unknown-tool", f"step {step.id!r} calls unknown tool {call.tool!r}")
        elif call.tool in writes:
            add(call.line, "write-tool", f"step {step.id!r} calls {call.tool}, which writes; steps only read")
        elif call.tool not in runbook.tools:
            add(call.line, "tool-not-allowed",
                f"step {step.id!r} calls {call.tool}, which is not in the front matter's tools list")
        for arg_path, text in strings_in(call.arguments):
            for problem in check(text, CALL_ROOTS):
                add(line_of(lines, (call.tool, *arg_path), call.line), "bad-template",
                    f"step {step.id!r}, argument {'.'.join(map(str, arg_path))}: {problem}")

    with_calls = {s.id for s in runbook.steps if s.call is not None}
    all_steps = {s.id for s in runbook.steps}
    used_remediations: set[str] = set()
    for rule in runbook.rules:
        issues.extend(_lint_rule(runbook, rule, result, all_steps, with_calls))
        if rule.remediation:
            used_remediations.add(rule.remediation)

    for template_id, template in runbook.remediations.items():
        lines = result.remediation_lines.get(template_id, {})
        if template.action not in KNOWN_REMEDIATION_ACTIONS:
            add(line_of(lines, ("action",), template.line), "unknown-action",
                f"remediation {template_id!r}: unknown action {template.action!r}; "
                f"use one of {', '.join(sorted(KNOWN_REMEDIATION_ACTIONS))}")
        groups = set().union(*(_groups(r) for r in runbook.rules if r.remediation == template_id)) \
            if template_id in used_remediations else set()
        for arg_path, text in strings_in(template.spec):
            line = line_of(lines, arg_path, template.line)
            for problem in check(text, ROOTS):
                add(line, "bad-template", f"remediation {template_id!r}, {'.'.join(map(str, arg_path))}: {problem}")
            for name in _match_refs(text):
                if name not in groups:
                    add(line, "unfillable-template",
                        f"remediation {template_id!r} uses {{{{ match.{name} }}}} but no rule that uses it "
                        f"captures (?P<{name}>...)")
        if template_id not in used_remediations:
            add(template.line, "unused-remediation", f"remediation {template_id!r} is used by no rule", "warning")

    if not runbook.match.fallback and not with_calls:
        add(2, "no-tool-steps", "no step has a ```tool block, so nothing is prefetched", "warning")
    if not runbook.match.fallback and not runbook.rules:
        add(2, "no-rules", "no ```conclusions rules: runbook-only mode cannot conclude anything", "warning")
    return issues


def _lint_rule(runbook: Runbook, rule: ConclusionRule, result: ParseResult, all_steps: set[str],
               with_calls: set[str]) -> list[Issue]:
    issues: list[Issue] = []
    lines = result.rule_lines.get(rule.id, {})

    def add(line: int, code: str, message: str) -> None:
        issues.append(Issue(runbook.path, line, "error", code, message))

    def walk(condition: object) -> None:
        from agent.runbooks.model import Condition

        assert isinstance(condition, Condition)
        if condition.step is not None and condition.step in SURVEY_STEPS:
            if condition.expr is None:
                add(condition.line, "bad-condition",
                    f"rule {rule.id!r} reads {condition.step}, a structured result: test it with `expr`")
        elif condition.step is not None:
            if condition.step not in all_steps:
                add(condition.line, "unreachable-rule",
                    f"rule {rule.id!r} reads step {condition.step!r}, which does not exist; "
                    f"steps: {', '.join(sorted(all_steps)) or 'none'}")
            elif condition.step not in with_calls:
                add(condition.line, "unreachable-rule",
                    f"rule {rule.id!r} reads step {condition.step!r}, which has no ```tool block and so no evidence")
        for child in (condition.all or []) + (condition.any or []) + ([condition.not_] if condition.not_ else []):
            walk(child)

    walk(rule.when)
    for index, cited in enumerate(rule.cites):
        if cited not in all_steps and cited not in SURVEY_STEPS:
            add(line_of(lines, ("cites", index), rule.line), "bad-cite",
                f"rule {rule.id!r} cites unknown step {cited!r}")
    if rule.remediation and rule.remediation not in runbook.remediations:
        add(line_of(lines, ("remediation",), rule.line), "unknown-remediation",
            f"rule {rule.id!r} names remediation {rule.remediation!r}, which the ```remediations block lacks")
    finding_line = line_of(lines, ("finding",), rule.line)
    for problem in check(rule.finding, ROOTS):
        add(finding_line, "bad-template", f"rule {rule.id!r}, finding: {problem}")
    groups = _groups(rule)
    for name in _match_refs(rule.finding):
        if name not in groups:
            add(finding_line, "unfillable-template",
                f"rule {rule.id!r} uses {{{{ match.{name} }}}} but none of its regexes has (?P<{name}>...) "
                "and no `capture` names it")
    return issues


def _groups(rule: ConclusionRule) -> set[str]:
    names: set[str] = set()
    stack = [rule.when]
    while stack:
        node = stack.pop()
        if node.matches:
            names.update(re.compile(node.matches).groupindex)
        names.update(node.capture or {})
        stack.extend((node.all or []) + (node.any or []) + ([node.not_] if node.not_ else []))
    return names


def _match_refs(text: str) -> list[str]:
    try:
        found = expressions(text)
    except ValueError:
        return []
    return [ref.key for expr in found for ref in expr.refs() if ref.root == "match"]


def runbook_files(paths: Iterable[str | Path]) -> list[Path]:
    """Markdown files under the given files or directories (README.md files are documentation)."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(p for p in sorted(path.glob("*.md")) if p.name.lower() != "readme.md")
        else:
            files.append(path)
    return files


def lint_paths(paths: Iterable[str | Path], known_tools: Iterable[str] = KNOWN_TOOLS) -> list[Issue]:
    """Lint every runbook under `paths`, including ids shared by two files."""
    issues: list[Issue] = []
    seen: dict[str, str] = {}
    tools = set(known_tools)
    for file in runbook_files(paths):
        result = parse_file(file)
        issues.extend(lint_result(result, tools))
        if result.runbook is not None:
            other = seen.get(result.runbook.id)
            if other:
                issues.append(Issue(str(file), line_of(result.front_lines, ("id",), 2), "error", "duplicate-id",
                                    f"runbook id {result.runbook.id!r} is also used by {other}"))
            else:
                seen[result.runbook.id] = str(file)
    return issues


def errors(issues: Iterable[Issue]) -> list[Issue]:
    return [i for i in issues if i.level == "error"]
