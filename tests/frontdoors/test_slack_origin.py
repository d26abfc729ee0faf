"""A signed Slack request must be for Vigil's own workspace and app, and may not carry a response_url
off Slack's host (agent/server/slack_workspace.py, agent/server/slack_requests.py).

The bot's identity is read from the conftest recorder: a real local HTTP server answering Slack's
Web API methods (`auth.test`, and here `bots.info`) in their documented shapes, through the real
slack_sdk client. No Slack server can run here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from agent.server.bodies import Refused
from agent.server.slack_requests import Origin, read_slack_request
from agent.server.slack_workspace import Workspace
from tests.frontdoors.conftest import Recorder

pytestmark = pytest.mark.anyio


def slash(response_url: str) -> bytes:
    return urlencode({"command": "/vigil", "text": "investigate checkout", "user_id": "U1", "channel_id": "C1",
                      "team_id": "T1", "api_app_id": "A1", "response_url": response_url}).encode()


@pytest.mark.parametrize("url", [
    "https://hooks.slack.com/commands/T1/1/abc", "https://hooks.slack.com:443/actions/T1/1/abc",
    "https://hooks.slack-gov.com/commands/T1/1/abc", "HTTPS://HOOKS.SLACK.COM/commands/T1/1/abc"])
def test_a_slack_response_url_passes_and_is_not_handed_on(url: str) -> None:
    request = read_slack_request(slash(url), "application/x-www-form-urlencoded", "/vigil")
    assert "response_url" not in request.body  # bolt never gets it: Vigil answers with its bot token
    assert request.origin == Origin("T1", None, "A1")


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:9/canary", "https://hooks.slack.com.evil.example/x", "https://hooks.slack.com@evil.example/x",
    "https://evil.example/hooks.slack.com/x", "http://hooks.slack.com/commands/1/2", "https://hooks.sl\u0430ck.com/x",
    "https://evil.example\\@hooks.slack.com/x", "https://[::1]/x", "file:///etc/passwd", "", "https://hooks.slack.com:8443/x",
])
def test_any_other_response_url_is_refused_naming_the_field(url: str) -> None:
    with pytest.raises(Refused) as refused:
        read_slack_request(slash(url), "application/x-www-form-urlencoded", "/vigil")
    assert refused.value.status == 422 and refused.value.detail.startswith("response_url:")


async def test_requests_for_another_workspace_or_app_are_named(recorder: Recorder) -> None:
    original = recorder.answer

    def answer(method: str, path: str) -> tuple[int, dict[str, Any]]:
        if path == "/api/bots.info":
            return 200, {"ok": True, "bot": {"id": "BVIGIL", "app_id": "A1", "user_id": "UVIGILBOT"}}
        return original(method, path)

    recorder.answer = answer  # type: ignore[method-assign]
    workspace = Workspace(AsyncWebClient(token="xoxb-test", base_url=recorder.url + "/api/"))
    assert await workspace.mismatch(Origin("T1", None, "A1")) is None
    assert await workspace.mismatch(Origin(None, None, None)) is None
    assert "workspace T2" in str(await workspace.mismatch(Origin("T2", None, "A1")))
    assert "app A2" in str(await workspace.mismatch(Origin("T1", None, "A2")))
    assert len(recorder.calls("/auth.test")) == 1  # looked up once, then cached


async def test_while_slack_is_unreachable_the_check_is_skipped_and_retried_later() -> None:
    workspace = Workspace(AsyncWebClient(token="xoxb-test", base_url="http://127.0.0.1:9/api/", timeout=2))
    assert await workspace.mismatch(Origin("T2", None, "A2")) is None
    assert await workspace.identity() is None  # not retried at once: one failed lookup per minute


async def test_without_users_read_the_workspace_is_still_checked(recorder: Recorder) -> None:
    """bots.info needs users:read, which the shipped manifest does not ask for: the app id goes
    unchecked, the workspace does not."""
    original = recorder.answer

    def answer(method: str, path: str) -> tuple[int, dict[str, Any]]:
        if path == "/api/bots.info":
            return 200, {"ok": False, "error": "missing_scope", "needed": "users:read"}
        return original(method, path)

    recorder.answer = answer  # type: ignore[method-assign]
    workspace = Workspace(AsyncWebClient(token="xoxb-test", base_url=recorder.url + "/api/"))
    assert await workspace.mismatch(Origin("T1", None, "A2")) is None
    assert "workspace T2" in str(await workspace.mismatch(Origin("T2", None, "A1")))
