"""Parsing a runbook and linting it: every problem reported with the right file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.runbooks.lint import errors, lint_paths, lint_result
from agent.runbooks.parser import parse_text
from tests.runbooks.helpers import line_with

GOOD = '''---
id: sample
title: Sample runbook
owner: team-a
version: 2
severity: critical
tools: [k8s_describe, k8s_logs]
match:
  alertnames: [SampleAlert]
  labels: ['namespace=~"shop|web"']
  keywords: [sample]
---

# Sample runbook

Why this runbook exists, in one paragraph
that spans two lines.

## Steps

### 1. Describe the pod {#describe}
Look at the container statuses.
```tool
k8s_describe:
  kind: Pod
  name: "{{ labels.pod }}"
  namespace: "{{ labels.namespace | default(\\"default\\") }}"
```

### 2. Read the logs
```tool
k8s_logs: {name: "{{ labels.pod }}", namespace: "{{ labels.namespace }}", previous: true}
```

### 3. Think about it
Prose only.

## Conclusions

```conclusions
- id: oom
  title: Out of memory
  when:
    - step: describe
      matches: 'OOMKilled.*limit (?P<limit>\\d+Mi)'
    - not: {step: read-the-logs, matches: panic}
  finding: "OOMKilled at {{ match.limit }} in {{ labels.namespace }}"
  confidence: high
  remediation: raise
```

```remediations
raise:
  action: set_memory_limit
  workload: {name: "{{ labels.pod | workload }}", namespace: "{{ labels.namespace }}"}
  value: "{{ match.limit | double }}"
```
'''


def test_a_good_runbook_parses_completely() -> None:
    result = parse_text(GOOD, "sample.md")
    assert result.issues == []
    runbook = result.runbook
    assert runbook is not None
    assert (runbook.id, runbook.version, runbook.severity) == ("sample", "2", "critical")
    assert runbook.description == "Why this runbook exists, in one paragraph that spans two lines."
    assert [s.id for s in runbook.steps] == ["describe", "read-the-logs", "think-about-it"]
    assert runbook.steps[0].title == "Describe the pod"
    assert runbook.steps[0].text == "Look at the container statuses."
    assert runbook.steps[0].call is not None and runbook.steps[0].call.tool == "k8s_describe"
    assert runbook.steps[0].call.line == line_with(GOOD, "k8s_describe:")
    assert runbook.steps[1].call is not None and runbook.steps[1].call.arguments["previous"] is True
    assert runbook.steps[2].call is None
    assert str(runbook.match.labels[0]) == 'namespace=~"shop|web"'
    rule = runbook.rules[0]
    assert rule.confidence == 0.85 and rule.remediation == "raise"
    assert rule.when.all is not None and rule.when.all[1].not_ is not None
    assert rule.line == line_with(GOOD, "- id: oom")
    assert runbook.remediations["raise"].action == "set_memory_limit"
    assert lint_result(result) == []


BROKEN = '''---
id: broken
title: Broken runbook
owner: team-a
version: 1
tools: [k8s_describe, kubectl_delete, k8s_logs]
match:
  alertnames: [Broken]
  labels: ['namespace~"x"']
---

# Broken

## Steps

### Describe {#describe}
```tool
k8s_describe:
  kind: Pod
  name: "{{ labels.pod | shout }}"
```

### Logs {#logs}
```tool
k8s_get: {kind: Pod, name: x}
```

### Notes {#notes}
No tool here.

## Conclusions

```conclusions
- id: ghost
  title: Reads a step that does not exist
  when: {step: nowhere, matches: x}
  finding: never
- id: mute
  title: Reads a step without a tool call
  when: {step: notes, matches: x}
  finding: never
- id: badregex
  title: Invalid regex
  when: {step: describe, matches: '(unclosed'}
  finding: never
- id: norem
  title: Names a missing remediation
  when: {step: describe, matches: x}
  finding: "uses {{ match.nothing }}"
  remediation: missing-template
  confidence: 7
```
'''


def _issue_at(issues, code: str, needle: str):  # type: ignore[no-untyped-def]
    line = line_with(BROKEN, needle)
    found = [i for i in issues if i.code == code and i.line == line]
    assert found, f"no {code} at line {line}; got " + "; ".join(str(i) for i in issues)
    return found[0]


def test_broken_runbook_errors_carry_lines(tmp_path: Path) -> None:
    path = tmp_path / "broken.md"
    path.write_text(BROKEN)
    issues = lint_paths([tmp_path])
    assert all(i.path == str(path) for i in issues)
    _issue_at(issues, "bad-matcher", "namespace~")
    assert "kubectl_delete" in _issue_at(issues, "unknown-tool", "kubectl_delete").message
    assert "shout" in _issue_at(issues, "bad-template", "shout").message
    assert "k8s_get" in _issue_at(issues, "tool-not-allowed", "k8s_get").message
    assert "nowhere" in _issue_at(issues, "unreachable-rule", "step: nowhere").message
    assert "no ```tool block" in _issue_at(issues, "unreachable-rule", "step: notes").message
    assert "can never fire" in _issue_at(issues, "bad-regex", "(unclosed").message
    _issue_at(issues, "bad-rule", "confidence: 7")
    assert all(i.level == "error" for i in issues)
    text = "\n".join(str(i) for i in issues)
    assert f"{path}:{line_with(BROKEN, 'kubectl_delete')}: error: unknown tool 'kubectl_delete'" in text


def test_rule_cross_references_are_checked() -> None:
    fixed = BROKEN.replace("confidence: 7", "confidence: 0.5")
    issues = lint_result(parse_text(fixed, "b.md"))
    rem = [i for i in issues if i.code == "unknown-remediation"]
    assert rem and rem[0].line == line_with(fixed, "remediation: missing-template")
    capture = [i for i in issues if i.code == "unfillable-template"]
    assert capture and "match.nothing" in capture[0].message
    assert capture[0].line == line_with(fixed, "{{ match.nothing }}")


@pytest.mark.parametrize(
    ("text", "code", "needle"),
    [
        ("---\nid: x\ntitle: [unclosed\n---\n", "front-matter", "title:"),
        ("# no front matter\n", "front-matter", "# no front matter"),
        ("---\nid: x\ntitle: t\n", "front-matter", "---"),
        ("---\nid: x\ntitle: t\nowner: o\nversion: 1\n---\n", "front-matter", "id: x"),
        ("---\nid: Bad_Id\ntitle: t\nowner: o\nversion: 1\nmatch: {keywords: [a]}\n---\n", "front-matter", "id:"),
        ("---\nid: x\ntitle: t\nowner: o\nversion: 1\nmatch: {}\n---\n", "unmatchable", "match:"),
        ("---\nid: x\ntitle: t\nowner: o\nversion: 1\nmatch: {keywords: [a]}\nseverity: huge\n---\n",
         "front-matter", "severity:"),
        ("---\nid: x\ntitle: t\nowner: o\nversion: 1\nmatch: {keywords: [a]}\nflavour: 1\n---\n",
         "unknown-key", "flavour"),
        ("---\nid: x\ntitle: t\nowner: o\nversion: 1\nmatch: {keywords: [a]}\n---\n```tool\nk8s_nodes: {}\n```\n",
         "tool-outside-step", "```tool"),
        ("---\nid: x\ntitle: t\nowner: o\nversion: 1\nmatch: {keywords: [a]}\n---\n## Steps\n### A\n### A\n",
         "duplicate-step", "### A"),
        ("---\nid: x\ntitle: t\nowner: o\nversion: 1\nmatch: {keywords: [a]}\n---\n## Steps\n### A\n"
         "```tool\nk8s_nodes: {}\n```\n```tool\nk8s_nodes: {}\n```\n", "two-tool-blocks", "```tool"),
        ("---\nid: x\ntitle: t\nowner: o\nversion: 1\nmatch: {keywords: [a]}\n---\n## Steps\n### A\n```tool\n"
         "k8s_nodes: {}\n", "unclosed-fence", "```tool"),
        ("---\nid: x\ntitle: t\nowner: o\nversion: 1\nmatch: {keywords: [a]}\n---\n## Steps\n### A\n```tool\n"
         "k8s_nodes: [1, 2\n```\n", "bad-tool-block", "k8s_nodes"),
    ],
)
def test_structural_problems(text: str, code: str, needle: str) -> None:
    issues = parse_text(text, "x.md").issues
    wanted = [i for i in issues if i.code == code]
    assert wanted, f"expected {code}; got {[str(i) for i in issues]}"
    lines = {i.line for i in wanted}
    if code in ("two-tool-blocks", "duplicate-step"):
        # The second occurrence is the one reported.
        occurrences = [n for n, ln in enumerate(text.splitlines(), 1) if needle in ln]
        assert occurrences[-1] in lines
    else:
        assert line_with(text, needle) in lines


def test_write_tools_are_refused_in_steps() -> None:
    text = GOOD.replace("tools: [k8s_describe, k8s_logs]", "tools: [k8s_describe, k8s_logs, propose_change]")
    issues = lint_result(parse_text(text, "w.md"))
    assert [i.code for i in errors(issues)] == ["write-tool"]
    assert issues[0].line == line_with(text, "propose_change")


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(GOOD)
    (tmp_path / "b.md").write_text(GOOD)
    (tmp_path / "README.md").write_text("not a runbook")
    issues = lint_paths([tmp_path])
    assert [(Path(i.path).name, i.code) for i in issues] == [("b.md", "duplicate-id")]


def test_match_captures_only_in_findings_not_in_calls() -> None:
    text = GOOD.replace('name: "{{ labels.pod }}"\n  namespace: "{{ labels.namespace | default',
                        'name: "{{ match.limit }}"\n  namespace: "{{ labels.namespace | default')
    issues = lint_result(parse_text(text, "m.md"))
    assert [i.code for i in issues] == ["bad-template"]
    assert "not available here" in issues[0].message
