"""Serve settings: file, environment overrides, and no inline secrets."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from agent.server.settings import ServeSettings, load_serve_settings, read_env


def test_file_then_environment(tmp_path: Path) -> None:
    path = tmp_path / "serve.yaml"
    path.write_text("serve:\n  port: 9000\n  workers: 3\n  slack:\n    command: /sre\n")
    settings = load_serve_settings(path, environ={"VIGIL_SERVE__WORKERS": "5",
                                                  "VIGIL_SERVE__PAGERDUTY__MAX_AGE_SECONDS": "60",
                                                  "UNRELATED": "x"})
    assert (settings.port, settings.workers, settings.slack.command) == (9000, 5, "/sre")
    assert settings.pagerduty.max_age_seconds == 60
    assert settings.queue_url_for(tmp_path) == f"sqlite:///{tmp_path.resolve() / 'jobs.db'}"


def test_unknown_fields_and_bad_values_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="slack_token"):
        ServeSettings.model_validate({"slack_token": "xoxb-inline"})
    with pytest.raises(ValidationError, match="workers"):
        load_serve_settings(None, environ={"VIGIL_SERVE__WORKERS": "-1"})


def test_secrets_are_read_from_named_variables_only() -> None:
    assert read_env("VIGIL_X", {"VIGIL_X": "s3cret"}) == "s3cret"
    assert read_env("VIGIL_X", {"VIGIL_X": ""}) is None
    assert read_env(None, {"VIGIL_X": "s3cret"}) is None
    models = ServeSettings.model_json_schema()["$defs"]
    credential_fields = [name for model in models.values() for name in model["properties"]
                         if any(word in name for word in ("secret", "token", "password"))]
    assert credential_fields and all(name.endswith("_env") for name in credential_fields), credential_fields
