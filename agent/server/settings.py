"""Settings of `vigil serve`: listen address, queue, workers, and each front door's credentials.

Like the rest of Vigil's configuration, no secret is ever a value here: each credential names the
environment variable that holds it (`*_env`). The settings live in the `serve:` section of
vigil.yaml when the main config has one, else in a file of their own (`vigil serve --settings`),
with `VIGIL_SERVE__SECTION__FIELD` environment overrides (`VIGIL_SERVE__QUEUE_URL=postgresql://...`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

ENV_PREFIX = "VIGIL_SERVE__"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


def read_env(name: str | None, environ: dict[str, str] | None = None) -> str | None:
    """The value of the environment variable `name`, or None when unset or empty."""
    if not name:
        return None
    value = (os.environ if environ is None else environ).get(name, "")
    return value or None


class AlertmanagerDoor(_Section):
    """Alertmanager's webhook_config: `http_config.authorization` (bearer) or `basic_auth`."""

    enabled: bool = True
    bearer_token_env: str | None = "VIGIL_ALERTMANAGER_TOKEN"
    basic_user: str | None = None
    basic_password_env: str | None = None


class PagerDutyDoor(_Section):
    """PagerDuty webhooks v3 in, incident notes out through the REST API."""

    enabled: bool = True
    signing_secrets_env: list[str] = Field(default_factory=lambda: ["VIGIL_PAGERDUTY_SIGNING_SECRET"])
    """Each variable holds one secret or several separated by commas (rotation: old and new at once)."""
    max_age_seconds: float = 3600.0
    """Events that occurred longer ago than this are refused as stale (a replay of an old capture)."""
    api_url: str = "https://api.pagerduty.com"
    api_token_env: str | None = "VIGIL_PAGERDUTY_API_TOKEN"
    from_email: str | None = None
    """PagerDuty requires a `From` header naming a user of the account for writes."""


class SlackDoor(_Section):
    """The Slack app (slash command, mentions, buttons) in HTTP mode."""

    enabled: bool = True
    signing_secret_env: str = "VIGIL_SLACK_SIGNING_SECRET"
    bot_token_env: str = "VIGIL_SLACK_BOT_TOKEN"
    api_url: str = "https://slack.com/api/"
    """Where outgoing Web API calls go (a recorder in tests, an egress proxy in some deployments)."""
    command: str = "/vigil"
    approvals_channel: str | None = None
    """Where approval buttons for webhook-started investigations are posted (Slack threads use their own)."""
    report_channel: str | None = None
    """Where reports of Alertmanager- and PagerDuty-started investigations are also posted."""
    charts: bool = True


class ServeSettings(_Section):
    host: str = "127.0.0.1"
    port: int = 8080
    queue_url: str | None = None
    """Default: sqlite:///<state_dir>/jobs.db. Several replicas: postgresql://user@host/db."""
    workers: int = Field(2, ge=0)
    """Investigations run at once per replica (0: accept and queue only, e.g. an intake-only replica)."""
    max_attempts: int = Field(4, ge=1)
    lease_seconds: float = Field(300.0, gt=0)
    """A job whose worker stops renewing this lease (a crash) is run again by another worker."""
    retry_base_seconds: float = 10.0
    dedupe_window_seconds: float = 3600.0
    """A repeat of an incident finished less than this long ago joins the finished job."""
    max_body_bytes: int = 1_048_576
    api_token_env: str | None = "VIGIL_API_TOKEN"
    """The bearer token of the HTTP approvals API (`/approvals`); unset: the API answers 503."""
    alertmanager: AlertmanagerDoor = Field(default_factory=AlertmanagerDoor)
    pagerduty: PagerDutyDoor = Field(default_factory=PagerDutyDoor)
    slack: SlackDoor = Field(default_factory=SlackDoor)

    def queue_url_for(self, state_dir: Path) -> str:
        return self.queue_url or f"sqlite:///{(state_dir / 'jobs.db').resolve()}"


def load_serve_settings(path: str | Path | None = None, config: Any = None,
                        environ: dict[str, str] | None = None) -> ServeSettings:
    """File (or the main config's `serve` section), then VIGIL_SERVE__* overrides."""
    data: dict[str, Any] = {}
    section = getattr(config, "serve", None)
    if isinstance(section, BaseModel):
        data = section.model_dump(exclude_unset=True)
    if path is not None:
        loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        if not isinstance(loaded, dict):
            raise ValueError(f"{path}: the top level must be a mapping (host:, port:, slack:, ...)")
        data = loaded.get("serve", loaded)
    env = os.environ if environ is None else environ
    for key, value in env.items():
        if not key.startswith(ENV_PREFIX):
            continue
        parts = [p.lower() for p in key[len(ENV_PREFIX):].split("__") if p]
        node = data
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        if parts:
            node[parts[-1]] = yaml.safe_load(value) if value else value
    return ServeSettings.model_validate(data)
