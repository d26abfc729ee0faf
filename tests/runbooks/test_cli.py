"""`vigil runbooks list|show|lint|match` through typer's test runner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from agent.cli.runbooks import app
from tests.runbooks.helpers import line_with
from tests.runbooks.test_parser_lint import BROKEN, GOOD

runner = CliRunner()
ALERT = Path(__file__).resolve().parents[1] / "incidents" / "fixtures" / "alertmanager-two-pods.json"


def test_list_shows_the_catalog() -> None:
    result = runner.invoke(app, ["list", "--json"])
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert {"oomkilled", "crashloopbackoff", "generic-triage"} <= {r["id"] for r in rows}


def test_lint_passes_on_the_shipped_catalog() -> None:
    result = runner.invoke(app, ["lint"])
    assert result.exit_code == 0, result.output
    assert "0 error(s), 0 warning(s)" in result.output


def test_lint_fails_with_line_numbers(tmp_path: Path) -> None:
    (tmp_path / "ok.md").write_text(GOOD)
    (tmp_path / "broken.md").write_text(BROKEN)
    result = runner.invoke(app, ["lint", str(tmp_path)], env={"COLUMNS": "300"})
    assert result.exit_code == 1
    assert f"broken.md:{line_with(BROKEN, 'kubectl_delete')}: error: unknown tool" in result.output
    assert f"broken.md:{line_with(BROKEN, 'step: nowhere')}: error:" in result.output
    assert "ok.md" not in result.output
    assert "2 runbook(s):" in result.output


def test_lint_on_a_missing_path() -> None:
    result = runner.invoke(app, ["lint", "/nonexistent/runbooks"])
    assert result.exit_code == 2


def test_match_explains_the_choice_for_an_alert_file() -> None:
    result = runner.invoke(app, ["match", "--alert", str(ALERT)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    lines = [ln for ln in result.output.splitlines() if "crashloopbackoff" in ln or "generic-triage" in ln]
    assert "crashloopbackoff" in lines[0] and "alert name KubePodCrashLooping" in lines[0]
    assert "generic-triage" in lines[-1]


def test_match_free_text() -> None:
    result = runner.invoke(app, ["match", "checkout pods OOMKilled in namespace shop"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "oomkilled" in result.output and "keywords 'oomkilled'" in result.output


def test_show_fills_the_calls_from_an_alert() -> None:
    result = runner.invoke(app, ["show", "crashloopbackoff", "--alert", str(ALERT)], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert '"name": "payments-6d8f7c9b5d-975vt"' in result.output
    assert "startup-exception" in result.output


def test_show_unknown_runbook() -> None:
    result = runner.invoke(app, ["show", "no-such-runbook"])
    assert result.exit_code == 1
    assert "no runbook" in result.output


def test_match_needs_an_incident() -> None:
    result = runner.invoke(app, ["match"])
    assert result.exit_code != 0
