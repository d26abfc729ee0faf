"""Reading a runbook file: YAML front matter, Markdown steps, and fenced data blocks.

Layout of a runbook (docs/runbooks.md has the full reference)::

    ---                      front matter: id, title, owner, version, severity, tools, match
    ---
    # Title, then prose      the introduction (shown to the model)
    ## Steps
    ### Check the pod {#describe}     one step; the id is {#...} or a slug of the title
    prose ...
    ```tool                  optional: one concrete call, YAML `tool_name: {arguments}`
    ```
    ## Conclusions
    ```conclusions           rules mapping step evidence to findings (YAML list)
    ```
    ```remediations          GitOps change templates, by id (YAML mapping)
    ```

The parser checks structure (types, required fields, regexes) and reports each problem with its
line; cross-references (unknown steps, tools, templates) are checked by `agent.runbooks.lint`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

from agent.runbooks.issues import Issue, Level
from agent.runbooks.model import (
    ConclusionRule,
    Condition,
    LabelMatcher,
    MatchRules,
    RemediationTemplate,
    Runbook,
    Step,
    ToolCallTemplate,
)
from agent.runbooks.yamllines import Path, YamlError, line_of, load_with_lines

FRONT_MATTER_KEYS = {"id", "title", "owner", "version", "severity", "tools", "match", "description"}
REQUIRED_KEYS = ("id", "title", "owner", "version", "match")
MATCH_KEYS = {"alertnames", "labels", "keywords", "fallback"}
RULE_KEYS = {"id", "title", "when", "finding", "confidence", "remediation", "cites", "ruled_out"}
SEVERITIES = ("critical", "warning", "info")
CONFIDENCE_WORDS = {"high": 0.85, "medium": 0.6, "low": 0.35}
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]*")
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})\s*([A-Za-z0-9_-]*)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_EXPLICIT_ID = re.compile(r"\s*\{#([A-Za-z0-9_-]+)\}\s*$")
_MATCHER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(?:\"(.*)\"|'(.*)')\s*$")


@dataclass
class ParseResult:
    runbook: Runbook | None
    issues: list[Issue] = field(default_factory=list)
    rule_lines: dict[str, dict[Path, int]] = field(default_factory=dict)
    """Per rule id, the YAML line map of that rule (lint uses it to point inside a rule)."""
    remediation_lines: dict[str, dict[Path, int]] = field(default_factory=dict)
    call_lines: dict[str, dict[Path, int]] = field(default_factory=dict)
    """Per step id, the line map of its tool block."""
    front_lines: dict[Path, int] = field(default_factory=dict)
    """The line map of the front matter."""


@dataclass
class _Block:
    info: str
    text: str
    first_line: int
    """The line of the first line inside the fence."""


class _Reader:
    def __init__(self, path: str) -> None:
        self.path = path
        self.issues: list[Issue] = []

    def add(self, line: int, code: str, message: str, level: Level = "error") -> None:
        self.issues.append(Issue(self.path, line, level, code, message))


def parse_file(path: str | FsPath) -> ParseResult:
    file = FsPath(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return ParseResult(None, [Issue(str(file), 1, "error", "unreadable", f"cannot read file: {exc}")])
    return parse_text(text, str(file))


def parse_text(text: str, path: str = "<runbook>") -> ParseResult:
    """Parse one runbook; the result has the runbook (None if unusable) and every issue found."""
    reader = _Reader(path)
    result = ParseResult(None)
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        reader.add(1, "front-matter", "a runbook starts with YAML front matter between '---' lines")
        result.issues = reader.issues
        return result
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        reader.add(1, "front-matter", "front matter is not closed by a '---' line")
        result.issues = reader.issues
        return result
    meta = _front_matter(reader, "\n".join(lines[1:end]), result)
    body_lines = lines[end + 1 :]
    body_offset = end + 2  # line number of body_lines[0]
    steps, blocks, description = _body(reader, body_lines, body_offset)

    rules: list[ConclusionRule] = []
    remediations: dict[str, RemediationTemplate] = {}
    seen: set[str] = set()
    for block in blocks:
        if block.info in seen:
            reader.add(block.first_line - 1, "duplicate-block", f"more than one ```{block.info} block")
            continue
        seen.add(block.info)
        if block.info == "conclusions":
            rules = _rules(reader, block, result)
        else:
            remediations = _remediations(reader, block, result)
    for step, tool_block in steps:
        if tool_block is not None:
            step.call = _tool_call(reader, step, tool_block, result)

    if meta is not None:
        try:
            result.runbook = Runbook(
                **meta,
                description=meta.get("description") or description,
                steps=[s for s, _ in steps],
                rules=rules,
                remediations=remediations,
                body="\n".join(body_lines).strip(),
                path=path,
            )
        except (TypeError, ValueError) as exc:  # pydantic ValidationError is a ValueError
            reader.add(2, "front-matter", f"front matter does not fit the runbook model: {exc}")
    result.issues = reader.issues
    return result


# ------------------------------------------------------------------------- front matter


def _front_matter(reader: _Reader, text: str, result: ParseResult) -> dict[str, Any] | None:
    try:
        data, lines = load_with_lines(text, first_line=2)
    except YamlError as exc:
        reader.add(exc.line, "front-matter", str(exc))
        return None
    result.front_lines = lines
    if not isinstance(data, dict):
        reader.add(2, "front-matter", "front matter must be a YAML mapping (id:, title:, ...)")
        return None
    ok = True
    for key in data:
        if key not in FRONT_MATTER_KEYS:
            known = ", ".join(sorted(FRONT_MATTER_KEYS))
            reader.add(line_of(lines, (key,), 2), "unknown-key", f"unknown key {key!r} (known: {known})",
                       "warning")
    for key in REQUIRED_KEYS:
        if data.get(key) in (None, ""):
            reader.add(2, "front-matter", f"missing required key {key!r}")
            ok = False
    meta: dict[str, Any] = {}
    rb_id = data.get("id")
    if rb_id is not None:
        if not isinstance(rb_id, str) or not ID_PATTERN.fullmatch(rb_id):
            reader.add(line_of(lines, ("id",), 2), "front-matter",
                       f"id {rb_id!r} must be lower-case letters, digits and '-'")
            ok = False
        meta["id"] = str(rb_id)
    for key in ("title", "owner", "description"):
        if data.get(key) is not None:
            if not isinstance(data[key], str):
                reader.add(line_of(lines, (key,), 2), "front-matter", f"{key} must be a string")
                ok = False
            meta[key] = str(data[key])
    if data.get("version") is not None:
        meta["version"] = str(data["version"])
    severity = data.get("severity", "warning")
    if severity not in SEVERITIES:
        reader.add(line_of(lines, ("severity",), 2), "front-matter",
                   f"severity {severity!r} must be one of {', '.join(SEVERITIES)}")
    else:
        meta["severity"] = severity
    tools = data.get("tools", [])
    if not isinstance(tools, list) or not all(isinstance(t, str) for t in tools):
        reader.add(line_of(lines, ("tools",), 2), "front-matter", "tools must be a list of tool names")
        tools = []
    meta["tools"] = tools
    match = _match(reader, data.get("match"), lines)
    if match is None:
        ok = False
    else:
        meta["match"] = match
    return meta if ok else None


def _match(reader: _Reader, data: Any, lines: dict[Path, int]) -> MatchRules | None:
    where = line_of(lines, ("match",), 2)
    if not isinstance(data, dict):
        reader.add(where, "front-matter", "match must be a mapping with alertnames, labels, keywords")
        return None
    for key in data:
        if key not in MATCH_KEYS:
            reader.add(line_of(lines, ("match", key), where), "front-matter",
                       f"unknown match key {key!r} (known: {', '.join(sorted(MATCH_KEYS))})")
    lists: dict[str, list[str]] = {}
    for key in ("alertnames", "keywords"):
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            reader.add(line_of(lines, ("match", key), where), "front-matter",
                       f"match.{key} must be a list of non-empty strings")
            value = []
        lists[key] = value
    matchers = _matchers(reader, data.get("labels"), lines, where)
    fallback = data.get("fallback", False)
    if not isinstance(fallback, bool):
        reader.add(line_of(lines, ("match", "fallback"), where), "front-matter", "match.fallback must be true/false")
        fallback = False
    if not (lists["alertnames"] or lists["keywords"] or matchers or fallback):
        reader.add(where, "unmatchable", "match names no alertnames, labels or keywords: the runbook can never match")
    return MatchRules(alertnames=lists["alertnames"], keywords=lists["keywords"], labels=matchers,
                      fallback=fallback)


def _matchers(reader: _Reader, data: Any, lines: dict[Path, int], where: int) -> list[LabelMatcher]:
    if data is None:
        return []
    found: list[LabelMatcher] = []
    if isinstance(data, dict):
        for name, value in data.items():
            found.append(LabelMatcher(name=str(name), op="=", value=str(value)))
        return found
    if not isinstance(data, list):
        reader.add(line_of(lines, ("match", "labels"), where), "front-matter",
                   'match.labels must be a list of matchers like namespace="x" or a mapping')
        return []
    for index, item in enumerate(data):
        line = line_of(lines, ("match", "labels", index), where)
        parsed = _MATCHER.match(item) if isinstance(item, str) else None
        if not parsed:
            reader.add(line, "bad-matcher", f'cannot read label matcher {item!r}; write name="value", '
                       'name!="value", name=~"regex" or name!~"regex"')
            continue
        value = parsed.group(3) if parsed.group(3) is not None else parsed.group(4)
        op = parsed.group(2)
        if op in ("=~", "!~"):
            try:
                re.compile(value)
            except re.error as exc:
                reader.add(line, "bad-regex", f"invalid regex in matcher {item!r}: {exc}")
                continue
        found.append(LabelMatcher(name=parsed.group(1), op=op, value=value))  # type: ignore[arg-type]
    return found


# ------------------------------------------------------------------------- body


def _body(reader: _Reader, lines: list[str], offset: int) -> tuple[list[tuple[Step, _Block | None]], list[_Block], str]:
    """Steps (with their tool block), the data blocks, and the introduction paragraph."""
    steps: list[tuple[Step, _Block | None]] = []
    data_blocks: list[_Block] = []
    in_steps = False
    current: Step | None = None
    current_block: _Block | None = None
    prose: list[str] = []
    intro: list[str] = []
    seen_heading2 = False
    index = 0

    def close_step() -> None:
        nonlocal current, current_block, prose
        if current is not None:
            current.text = "\n".join(prose).strip()
            steps.append((current, current_block))
        current, current_block, prose = None, None, []

    while index < len(lines):
        line = lines[index]
        number = index + offset
        fence = _FENCE.match(line)
        if fence:
            marker, info = fence.group(1), fence.group(2).lower()
            inner: list[str] = []
            index += 1
            closing = re.compile(rf"\s{{0,3}}{re.escape(marker[0])}{{{len(marker)},}}\s*")
            while index < len(lines) and not closing.fullmatch(lines[index]):
                inner.append(lines[index])
                index += 1
            if index >= len(lines):
                reader.add(number, "unclosed-fence", f"code block opened here with {marker} is never closed")
            index += 1
            block = _Block(info, "\n".join(inner), number + 1)
            if info == "tool":
                if current is None:
                    reader.add(number, "tool-outside-step", "a ```tool block must be inside a ### step under ## Steps")
                elif current_block is not None:
                    reader.add(number, "two-tool-blocks",
                               f"step {current.id!r} already has a ```tool block; split it into two steps")
                else:
                    current_block = block
            elif info in ("conclusions", "remediations"):
                data_blocks.append(block)
                if current is not None:
                    prose.extend([line, *inner, marker])
            elif current is not None:
                prose.extend([line, *inner, marker])
            continue
        heading = _HEADING.match(line)
        if heading:
            level, title = len(heading.group(1)), heading.group(2)
            if level <= 2:
                close_step()
                seen_heading2 = seen_heading2 or level == 2
                in_steps = level == 2 and title.strip().lower() == "steps"
            elif level == 3 and in_steps:
                close_step()
                current = _new_step(reader, title, number, [s for s, _ in steps])
            elif current is not None:
                prose.append(line)
        elif current is not None:
            prose.append(line)
        elif not seen_heading2:
            intro.append(line)
        index += 1
    close_step()
    paragraphs = [p.strip() for p in "\n".join(intro).split("\n\n") if p.strip() and not p.strip().startswith("#")]
    return steps, data_blocks, " ".join(paragraphs[0].split()) if paragraphs else ""


def _new_step(reader: _Reader, heading: str, line: int, existing: list[Step]) -> Step:
    explicit = _EXPLICIT_ID.search(heading)
    title = _EXPLICIT_ID.sub("", heading).strip()
    title = re.sub(r"^\d+[.)]\s*", "", title)
    step_id = explicit.group(1) if explicit else re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    if any(s.id == step_id for s in existing):
        reader.add(line, "duplicate-step", f"step id {step_id!r} is used twice; give one an explicit {{#id}}")
    return Step(id=step_id or f"step-{len(existing) + 1}", title=title, line=line)


def _tool_call(reader: _Reader, step: Step, block: _Block, result: ParseResult) -> ToolCallTemplate | None:
    try:
        data, lines = load_with_lines(block.text, first_line=block.first_line)
    except YamlError as exc:
        reader.add(exc.line, "bad-tool-block", f"step {step.id!r}: {exc}")
        return None
    if not isinstance(data, dict) or len(data) != 1:
        reader.add(block.first_line, "bad-tool-block",
                   f"step {step.id!r}: a ```tool block holds one mapping `tool_name: {{arguments}}`")
        return None
    tool, arguments = next(iter(data.items()))
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        reader.add(block.first_line, "bad-tool-block", f"step {step.id!r}: arguments of {tool} must be a mapping")
        return None
    result.call_lines[step.id] = lines
    return ToolCallTemplate(tool=str(tool), arguments=arguments, line=block.first_line)


# ------------------------------------------------------------------------- conclusions


def _rules(reader: _Reader, block: _Block, result: ParseResult) -> list[ConclusionRule]:
    try:
        data, lines = load_with_lines(block.text, first_line=block.first_line)
    except YamlError as exc:
        reader.add(exc.line, "bad-rule", str(exc))
        return []
    if data is None:
        return []
    if not isinstance(data, list):
        reader.add(block.first_line, "bad-rule", "a ```conclusions block holds a YAML list of rules")
        return []
    rules: list[ConclusionRule] = []
    ids: set[str] = set()
    for index, item in enumerate(data):
        line = line_of(lines, (index,), block.first_line)
        if not isinstance(item, dict):
            reader.add(line, "bad-rule", "each rule is a mapping with id, title, when, finding, confidence")
            continue
        for key in item:
            if key not in RULE_KEYS:
                reader.add(line_of(lines, (index, key), line), "bad-rule",
                           f"unknown rule key {key!r} (known: {', '.join(sorted(RULE_KEYS))})")
        missing = [k for k in ("id", "title", "when", "finding") if item.get(k) in (None, "", [])]
        if missing:
            reader.add(line, "bad-rule", f"rule is missing {', '.join(missing)}")
            continue
        rule_id = str(item["id"])
        if rule_id in ids:
            reader.add(line, "bad-rule", f"rule id {rule_id!r} is used twice")
            continue
        ids.add(rule_id)
        when = _condition(reader, item["when"], lines, (index, "when"), line)
        confidence = _confidence(reader, item.get("confidence", 0.5), line_of(lines, (index, "confidence"), line))
        cites = item.get("cites", [])
        if not isinstance(cites, list) or not all(isinstance(c, str) for c in cites):
            reader.add(line_of(lines, (index, "cites"), line), "bad-rule", "cites must be a list of step ids")
            cites = []
        if when is None or confidence is None:
            continue
        rules.append(
            ConclusionRule(
                id=rule_id,
                title=str(item["title"]),
                when=when,
                finding=str(item["finding"]),
                confidence=confidence,
                remediation=str(item["remediation"]) if item.get("remediation") else None,
                cites=cites,
                ruled_out=str(item["ruled_out"]) if item.get("ruled_out") else None,
                line=line,
            )
        )
        result.rule_lines[rule_id] = {k[1:]: v for k, v in lines.items() if k and k[0] == index}
    return rules


def _expr_condition(reader: _Reader, data: dict[str, Any], lines: dict[Path, int], path: Path,
                    line: int) -> Condition | None:
    """`{step, expr, capture}`: a JMESPath test over the step's structured result, compiled now so a
    typo is a lint error with its line rather than a rule that silently never fires."""
    import jmespath
    from jmespath.exceptions import JMESPathError

    step, expr, capture = data.get("step"), data.get("expr"), data.get("capture") or {}
    if not isinstance(step, str) or not isinstance(expr, str) or not expr or "matches" in data:
        reader.add(line, "bad-condition", "an expression condition needs `step: ID` and `expr: JMESPATH` "
                                          "(and no `matches`)")
        return None
    if not isinstance(capture, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                 for k, v in capture.items()):
        reader.add(line, "bad-condition", "`capture` maps names to JMESPath expressions (strings)")
        return None
    for where, text in [("expr", expr), *((f"capture.{k}", v) for k, v in capture.items())]:
        try:
            jmespath.compile(text)
        except JMESPathError as exc:
            reader.add(line_of(lines, (*path, *where.split(".")), line), "bad-expression",
                       f"invalid JMESPath in {where} {text!r}: {' '.join(str(exc).split())}; this rule can never fire")
            return None
    return Condition(step=step, expr=expr, capture=dict(capture), line=line)


def _condition(reader: _Reader, data: Any, lines: dict[Path, int], path: Path, fallback: int) -> Condition | None:
    line = line_of(lines, path, fallback)
    if isinstance(data, list):
        data = {"all": data}
    if not isinstance(data, dict):
        reader.add(line, "bad-condition", "a condition is {step, matches}, {all: [...]}, {any: [...]} or {not: ...}")
        return None
    kinds = [k for k in ("step", "all", "any", "not") if k in data]
    extra = [k for k in data if k not in ("step", "matches", "expr", "capture", "all", "any", "not")]
    if len(kinds) != 1 or extra:
        reader.add(line, "bad-condition",
                   "a condition has exactly one of step (with matches or expr), all, any or not; "
                   f"found {', '.join(map(str, data)) or 'nothing'}")
        return None
    kind = kinds[0]
    if kind == "step" and "expr" in data:
        return _expr_condition(reader, data, lines, path, line)
    if kind == "step":
        step, pattern = data.get("step"), data.get("matches")
        if not isinstance(step, str) or not isinstance(pattern, str) or not pattern:
            reader.add(line, "bad-condition", "a step condition needs `step: ID` and `matches: REGEX` or "
                                              "`expr: JMESPATH` (strings)")
            return None
        try:
            re.compile(pattern)
        except re.error as exc:
            reader.add(line_of(lines, (*path, "matches"), line), "bad-regex",
                       f"invalid regex {pattern!r}: {exc}; this rule can never fire")
            return None
        return Condition(step=step, matches=pattern, line=line)
    if kind == "not":
        child = _condition(reader, data["not"], lines, (*path, "not"), line)
        return Condition.model_validate({"not": child, "line": line}) if child else None
    items = data[kind]
    if not isinstance(items, list) or not items:
        reader.add(line, "bad-condition", f"{kind} needs a non-empty list of conditions")
        return None
    children = [_condition(reader, c, lines, (*path, kind, i), line) for i, c in enumerate(items)]
    if any(c is None for c in children):
        return None
    return Condition.model_validate({kind: children, "line": line})


def _confidence(reader: _Reader, value: Any, line: int) -> float | None:
    if isinstance(value, str) and value.lower() in CONFIDENCE_WORDS:
        return CONFIDENCE_WORDS[value.lower()]
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1:
        return float(value)
    reader.add(line, "bad-rule", f"confidence {value!r} must be a number from 0 to 1, or high/medium/low")
    return None


def _remediations(reader: _Reader, block: _Block, result: ParseResult) -> dict[str, RemediationTemplate]:
    try:
        data, lines = load_with_lines(block.text, first_line=block.first_line)
    except YamlError as exc:
        reader.add(exc.line, "bad-remediation", str(exc))
        return {}
    if data is None:
        return {}
    if not isinstance(data, dict):
        reader.add(block.first_line, "bad-remediation", "a ```remediations block maps template ids to changes")
        return {}
    templates: dict[str, RemediationTemplate] = {}
    for key, spec in data.items():
        line = line_of(lines, (key,), block.first_line)
        if not isinstance(spec, dict) or not isinstance(spec.get("action"), str):
            reader.add(line, "bad-remediation", f"remediation {key!r} needs a mapping with an `action`")
            continue
        templates[str(key)] = RemediationTemplate(id=str(key), action=spec["action"], spec=spec, line=line)
        result.remediation_lines[str(key)] = {k[1:]: v for k, v in lines.items() if k and k[0] == key}
    return templates
