"""`vigil llm check` and `vigil llm prices` through typer's runner (the ping hits the replay server)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli.llm import app
from tests.llm.conftest import DUMMY_KEY, ReplayServer

runner = CliRunner()


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "vigil.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_check_runbook_only_mode(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", "--config", str(write_config(tmp_path, "llm:\n  provider: none\n"))])
    assert result.exit_code == 0, result.output
    assert "runbook-only mode" in result.output


def test_check_reports_a_missing_key_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VIGIL_NO_SUCH_KEY", raising=False)
    config = write_config(tmp_path, "llm:\n  provider: anthropic\n  api_key_env: VIGIL_NO_SUCH_KEY\n")
    result = runner.invoke(app, ["check", "--config", str(config)])
    assert result.exit_code == 1
    assert "VIGIL_NO_SUCH_KEY is NOT set" in result.output
    assert "claude-sonnet-5-5" in result.output and "$2 in / $10 out" in result.output


def test_check_ping_makes_one_real_call(tmp_path: Path, replay: ReplayServer, dummy_key: str) -> None:
    replay.load("openai/text_answer.json")
    config = write_config(
        tmp_path,
        f"llm:\n  provider: openai\n  model: gpt-4.1\n  base_url: {replay.url}/v1\n  api_key_env: {dummy_key}\n",
    )
    result = runner.invoke(app, ["check", "--config", str(config), "--ping"])
    assert result.exit_code == 0, result.output
    assert f"{dummy_key} is set" in result.output
    assert "answered" in result.output and "950 tokens in" in result.output
    assert DUMMY_KEY not in result.output
    assert len(replay.requests) == 1


def test_prices(tmp_path: Path) -> None:
    config = write_config(tmp_path, "llm:\n  prices:\n    house-model: {input: 1.5, output: 3}\n")
    listing = runner.invoke(app, ["prices", "--config", str(config)])
    assert listing.exit_code == 0 and "claude-opus-5-5" in listing.output and "house-model" in listing.output
    one = runner.invoke(app, ["prices", "gpt-4.1-2025-04-14", "--config", str(config)])
    assert one.exit_code == 0 and "$2 input, $8 output" in one.output
    missing = runner.invoke(app, ["prices", "mystery-model", "--config", str(config)])
    assert missing.exit_code == 1 and "llm.prices" in missing.output
