"""Which Slack workspace and app Vigil is, so a signed request for another one is not acted on.

The signing secret proves a request came from Slack for an app holding that secret, but a request
naming another workspace (`team_id`) or another app (`api_app_id`) can only be a forgery by someone
who has the secret, or a manifest copied between apps: either way Vigil's bot token cannot answer
there, and queueing an investigation for it would spend a run on a question nobody can read.

The bot token's own identity comes from Slack's Web API (`auth.test` for the workspace and
organisation, `bots.info` for the app when the token has `users:read`), once per process; while
Slack cannot be reached (or takes over two seconds) the check is skipped (the signature already held)
and retried a minute later, so an outage at Slack never turns into refused incidents. An org-wide
Enterprise Grid install accepts every workspace of its organisation.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from agent.server.slack_requests import Origin

log = logging.getLogger("vigil.serve.slack")

RETRY_SECONDS = 60.0
LOOKUP_SECONDS = 2.0
"""The lookup runs inside a request Slack wants answered within 3 s: past this it is skipped, not waited for."""
_ID = re.compile(r"^[A-Z0-9][A-Z0-9_]{0,39}$")


@dataclass(frozen=True)
class Identity:
    team_id: str | None
    enterprise_id: str | None
    app_id: str | None
    org_wide: bool


def _id(value: Any) -> str | None:
    return value if isinstance(value, str) and _ID.match(value) else None


class Workspace:
    """The bot token's workspace, organisation and app, looked up lazily and cached."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._identity: Identity | None = None
        self._next_try = 0.0

    async def identity(self) -> Identity | None:
        if self._identity is not None or time.monotonic() < self._next_try:
            return self._identity
        try:
            self._identity = await asyncio.wait_for(self._lookup(), LOOKUP_SECONDS)
        except Exception as exc:  # Slack slow, unreachable or refusing: the signature held, check again later
            log.warning("slack: cannot look up the bot's workspace (%s); team and app ids go unchecked for now",
                        type(exc).__name__)
            self._next_try = time.monotonic() + RETRY_SECONDS
            return None
        return self._identity

    async def _lookup(self) -> Identity:
        auth = await self.client.auth_test()
        app_id = None
        bot_id = _id(auth.get("bot_id"))
        if bot_id:
            try:  # needs the users:read scope, which the shipped manifest does not ask for: best effort
                info = await self.client.bots_info(bot=bot_id)
            except SlackApiError as exc:
                log.info("slack: bots.info refused (%s); api_app_id goes unchecked", exc.response.get("error"))
            else:
                bot = info.get("bot")
                app_id = _id(bot.get("app_id")) if isinstance(bot, dict) else None
        return Identity(_id(auth.get("team_id")), _id(auth.get("enterprise_id")), app_id,
                        bool(auth.get("is_enterprise_install")))

    async def mismatch(self, origin: Origin | None) -> str | None:
        """Why a request for `origin` is not for this app and workspace, or None."""
        own = await self.identity() if origin is not None else None
        if own is None or origin is None:
            return None
        if own.app_id and origin.app_id and origin.app_id != own.app_id:
            return f"api_app_id: the request is for app {origin.app_id}, this is app {own.app_id}"
        same_org = bool(own.enterprise_id and origin.enterprise_id == own.enterprise_id)
        if own.team_id and origin.team_id and origin.team_id != own.team_id and not (own.org_wide and same_org):
            return f"team_id: the request is for workspace {origin.team_id}, Vigil's bot is in {own.team_id}"
        return None
