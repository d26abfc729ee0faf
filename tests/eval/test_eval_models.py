"""`vigil eval --model`: two models side by side, one of them through the real openai SDK.

The SDK talks to a local HTTP server replaying a recorded Chat Completions answer
(tests/llm/recordings/openai/text_answer.json, in OpenAI's documented response format); the
cluster is the replay API server and Debian's Prometheus, as in every eval test.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.config import Config
from agent.eval.models import ModelChoiceError, model_settings
from tests.llm.conftest import dummy_key, replay  # noqa: F401 - fixtures

INCIDENTS = Path(__file__).resolve().parents[2] / "examples" / "incidents"


def test_model_names():
    config = Config.model_validate({"llm": {"provider": "openai", "model": "gpt-4.1", "base_url": "http://x/v1"}})
    assert model_settings("runbook-only", config) is None
    assert model_settings("configured", config) == config.llm
    assert model_settings("openai:gpt-4.1", config) == config.llm
    other = model_settings("ollama:qwen2.5:3b", config)
    assert other is not None and (other.provider, other.model, other.base_url) == ("ollama", "qwen2.5:3b", None)
    with pytest.raises(ModelChoiceError, match="PROVIDER:MODEL"):
        model_settings("mystery:x", config)


@pytest.mark.skipif(shutil.which("prometheus") is None, reason="Debian's prometheus package is not installed")
@pytest.mark.slow
def test_runbook_only_and_a_real_sdk_model_side_by_side(tmp_path, replay, dummy_key):  # noqa: F811
    replay.load("openai/text_answer.json")
    config = tmp_path / "vigil.yaml"
    config.write_text(json.dumps({"state_dir": str(tmp_path / "state"), "llm": {
        "provider": "openai", "model": "gpt-4.1", "base_url": f"{replay.url}/v1", "api_key_env": dummy_key,
        "max_retries": 0}}))
    result = CliRunner().invoke(app, ["eval", str(INCIDENTS / "catalog-bad-image"), "--model", "runbook-only",
                                      "--model", "configured", "--jobs", "2", "--format", "json", "-c", str(config)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    by_model = {r["model"]: r for r in data["results"]}
    assert set(by_model) == {"runbook-only", "configured"} and [t["model"] for t in data["totals"]] == [
        "runbook-only", "configured"]
    assert by_model["runbook-only"]["model_turns"] == 0 and by_model["runbook-only"]["tokens"] == 0
    llm = by_model["configured"]
    assert llm["model_turns"] == 1 and llm["tokens"] == 981 and llm["cost_usd"] > 0
    assert llm["verdict"] in ("right", "wrong", "red_herring", "unknown") and not llm["score"]["leaks"]
    request = replay.requests[0]  # a plain-text answer then gets one repair turn (agent/model_answer.py)
    sent = json.dumps(request.body)
    assert "catalog" in sent, "the model was shown the incident"
    assert "VIGIL-CANARY" not in sent
