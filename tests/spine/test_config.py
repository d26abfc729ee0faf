"""Configuration loading: file, environment overrides, secrets by reference only."""

from __future__ import annotations

import pytest

from agent.config import ConfigError, load_config


def test_defaults_without_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = load_config(None, environ={})
    assert cfg.llm.provider == "none"
    assert cfg.audit_path == cfg.state_dir / "audit.jsonl"


def test_env_overrides_nested_fields(tmp_path):
    path = tmp_path / "vigil.yaml"
    path.write_text("budget:\n  max_steps: 5\n")
    cfg = load_config(path, environ={"VIGIL__BUDGET__MAX_STEPS": "9", "VIGIL__LLM__MODEL": "qwen2.5:7b"})
    assert cfg.budget.max_steps == 9 and cfg.llm.model == "qwen2.5:7b"


@pytest.mark.parametrize("field", ["password", "token", "api_key", "client_secret"])
def test_inline_secrets_are_refused(tmp_path, field):
    path = tmp_path / "vigil.yaml"
    path.write_text(f"loki:\n  url: http://loki:3100\n  {field}: hunter2hunter2\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert "hunter2" not in str(caught.value)
    assert f"{field}_env" in str(caught.value)


def test_external_server_needs_exactly_one_transport(tmp_path):
    path = tmp_path / "vigil.yaml"
    path.write_text("servers:\n  - name: grafana\n    command: [mcp-grafana]\n    url: http://x\n")
    with pytest.raises(ConfigError, match=r"servers\.0"):
        load_config(path, environ={})


def test_not_a_mapping(tmp_path):
    path = tmp_path / "vigil.yaml"
    path.write_text("- just\n- a list\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_config(path, environ={})


def test_every_area_is_configured_in_one_file(tmp_path):
    path = tmp_path / "vigil.yaml"
    path.write_text(
        "prometheus: {url: 'http://prom:9090'}\n"
        "loki: {url: 'http://loki:3100', auth: {headers: {X-Scope-OrgID: team-a}}}\n"
        "codegraph: {repo: /srv/src/payments}\n"
        "serve: {port: 9000, workers: 4}\n"
        "gitops: {provider: git, remote: /srv/gitops.git}\n"
        "kubernetes: {clusters: {prod-eu: gke-prod-eu}}\n"
    )
    cfg = load_config(path, environ={"VIGIL__SERVE__WORKERS": "1"})
    assert cfg.prometheus is not None and cfg.prometheus.url == "http://prom:9090"
    assert cfg.loki is not None and cfg.loki.auth.headers == {"X-Scope-OrgID": "team-a"}
    assert cfg.serve is not None and cfg.serve.port == 9000 and cfg.serve.workers == 1
    assert cfg.gitops is not None and cfg.gitops.remote == "/srv/gitops.git"
    assert cfg.kubernetes.clusters == {"prod-eu": "gke-prod-eu"}


def test_nested_inline_credentials_are_refused(tmp_path):
    path = tmp_path / "vigil.yaml"
    path.write_text("prometheus:\n  url: http://prom:9090\n  auth: {bearer_token: eyJhbGciOi.secret}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert "prometheus.auth.bearer_token" in str(caught.value) and "eyJhbGciOi" not in str(caught.value)
