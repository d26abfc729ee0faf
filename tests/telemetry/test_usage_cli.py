"""`vigil usage` over a real SQLite ledger: rows by day, team and model, budgets, filters, JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli.usage import app
from guardrails.usage import UsageLedger

NOW = datetime(2026, 3, 12, 23, 59, 59, tzinfo=UTC)
"""A fixed clock a second before midnight, given to the command, so no run depends on the real date."""


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config whose state_dir holds a ledger with three days of calls by two teams."""
    state_dir = tmp_path / "state"
    ledger = UsageLedger(state_dir / "usage.db")
    yesterday, old = NOW - timedelta(days=1), NOW - timedelta(days=20)
    for run in ("run_a", "run_a", "run_b"):
        ledger.record(team="payments", actor="agent", provider="anthropic", model="claude-sonnet-4-5",
                      input_tokens=1000, output_tokens=200, usd=0.006, run_id=run, at=NOW)
    ledger.record(team="payments", actor="agent", provider="openai", model="gpt-5", input_tokens=4000,
                  output_tokens=100, usd=0.0123, run_id="run_c", at=yesterday)
    ledger.record(team="checkout", actor="slack:U1", provider="anthropic", model="claude-sonnet-4-5",
                  input_tokens=2_600_000, output_tokens=0, usd=7.8, run_id="run_d", at=NOW)
    ledger.record(team="checkout", actor="slack:U1", provider="anthropic", model="claude-sonnet-4-5",
                  input_tokens=99, output_tokens=1, usd=1.0, run_id="run_e", at=old)
    config = tmp_path / "vigil.yaml"
    config.write_text(f"state_dir: {state_dir}\n")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr("agent.cli.usage.now", lambda: NOW)
    return config


def test_json_groups_by_day_team_and_model(state: Path) -> None:
    result = CliRunner().invoke(app, ["--config", str(state), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    rows = {(r["day"], r["team"], r["model"]): r for r in data["rows"]}
    today, yesterday = NOW.date().isoformat(), (NOW - timedelta(days=1)).date().isoformat()
    assert set(rows) == {(today, "payments", "claude-sonnet-4-5"), (yesterday, "payments", "gpt-5"),
                         (today, "checkout", "claude-sonnet-4-5")}  # the 20-day-old row is outside 7 days
    sonnet = rows[(today, "payments", "claude-sonnet-4-5")]
    assert (sonnet["calls"], sonnet["runs"], sonnet["input_tokens"], sonnet["output_tokens"]) == (3, 2, 3000, 600)
    assert sonnet["usd"] == pytest.approx(0.018)
    assert data["rows"][0]["day"] == today  # newest first
    teams = {t["team"]: t for t in data["teams"]}
    assert teams["checkout"]["tokens_today"] == 2_600_000 and teams["checkout"]["tokens_per_day"] == 5_000_000
    assert teams["payments"]["usd_per_day"] == 50


def test_team_and_days_filters(state: Path) -> None:
    result = CliRunner().invoke(app, ["--config", str(state), "--json", "--team", "checkout", "--days", "30"])
    rows = json.loads(result.output)["rows"]
    assert {r["team"] for r in rows} == {"checkout"} and len(rows) == 2
    one_day = json.loads(CliRunner().invoke(app, ["--config", str(state), "--json", "--days", "1"]).output)["rows"]
    assert {r["day"] for r in one_day} == {NOW.date().isoformat()}


def test_rich_tables_show_spend_totals_and_budget_share(state: Path) -> None:
    result = CliRunner().invoke(app, ["--config", str(state), "--format", "table"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Model spend, last 7 day(s)" in out
    assert "anthropic:claude-sonnet-4-5" in out and "openai:gpt-5" in out
    assert "2,607,000" in out  # total input tokens in the window: 3,000 + 4,000 + 2,600,000
    assert "5,000,000 (52% used)" in out  # checkout's 2.6M of 5M tokens today
    assert "50.00 (16% used)" in out  # checkout's $7.80 of $50


def test_piped_output_is_plain_rows(state: Path) -> None:
    result = CliRunner().invoke(app, ["--config", str(state)])
    lines = result.output.splitlines()
    assert lines[0].split("\t") == ["day", "team", "model", "calls", "runs", "input_tokens", "output_tokens", "usd"]
    assert "2026-03-12\tcheckout\tanthropic:claude-sonnet-4-5\t1\t1\t2600000\t0\t7.8000" in lines


def test_no_ledger_yet_is_not_an_error(tmp_path: Path) -> None:
    config = tmp_path / "vigil.yaml"
    config.write_text(f"state_dir: {tmp_path / 'empty'}\n")
    result = CliRunner().invoke(app, ["--config", str(config)])
    assert result.exit_code == 0
    assert "No usage ledger" in result.output
    assert not (tmp_path / "empty" / "usage.db").exists()  # reading never creates a ledger


def test_a_bad_config_exits_2_naming_the_problem(tmp_path: Path) -> None:
    config = tmp_path / "vigil.yaml"
    config.write_text("telemetry: {record_prompts: everything}\n")
    result = CliRunner().invoke(app, ["--config", str(config)])
    assert result.exit_code == 2
    assert "record_prompts" in result.output
